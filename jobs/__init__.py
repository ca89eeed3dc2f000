"""Scheduled batch jobs (APScheduler) that connect the database and the optimiser."""
