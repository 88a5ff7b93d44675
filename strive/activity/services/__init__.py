"""Every write of the activity side: `<noun>_<verb>(*, ...)`, keyword-only."""
