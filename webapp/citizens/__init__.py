"""Citizens: the citizen register behind a pluggable adapter, and the citizen as the job centre knows them (R-6.1)."""
