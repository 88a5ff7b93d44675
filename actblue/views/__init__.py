"""Pages of the ActBlue integration: connection and details, organization profile, backfill, ledger, webhook."""
