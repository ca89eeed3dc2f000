"""Setting up a job centre: teams, caseworkers, rooms, variants, reference data, login throttling."""
