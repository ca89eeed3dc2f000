"""The development mail viewer: what `flask dev`'s local SMTP catcher received (issue 19)."""

from webapp.devmail import routes  # noqa: F401  (registers the views)
from webapp.devmail.blueprint import bp

__all__ = ["bp"]
