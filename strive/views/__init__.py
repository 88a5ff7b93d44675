"""Pages of the member sync: connect, the details tabs (overview, fields, settings, users), members and groups."""
