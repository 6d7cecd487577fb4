"""Flood and hourly limits per client network and per author, kept in PostgreSQL so they hold
across every instance of the service: `policy` (pure: keys and buckets), `refusals` (the
process's memory of refusals still in force) and `sweeper` (a cleanup context)."""
