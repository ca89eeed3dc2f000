"""Pure domain rules: no Flask, no database session. Time comes in as arguments."""
