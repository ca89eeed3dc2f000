"""Reference data and the commands that load it."""
