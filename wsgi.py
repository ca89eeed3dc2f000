"""WSGI entry point (`gunicorn wsgi:app`) and the `flask` command's app (`FLASK_APP=wsgi`).

The jobs' commands (`flask allocate`, `flask scheduler ...`) and `flask seed demo` are added
here, not in `create_app`: jobs and seed use the web application, never the reverse.
"""

from jobs.cli import register_cli as register_job_cli
from seed.cli import register_cli as register_seed_cli
from webapp import create_app

app = create_app()
register_job_cli(app)
register_seed_cli(app)
