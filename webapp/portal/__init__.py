"""The citizen portal at /portal: log in, my meetings, offers, pick a slot, confirm, cancel, rebook (§4)."""

from __future__ import annotations

from flask import Flask

from webapp.portal.blueprint import bp


def init_portal(app: Flask) -> None:
    from webapp.extensions import login_manager
    from webapp.portal import routes  # noqa: F401  (registers the views)
    from webapp.portal.helpers import register_filters
    from webapp.messaging import receipts

    app.register_blueprint(bp)
    register_filters(app)
    receipts.connect()
    # Citizens who are not logged in go to the portal's login, staff to theirs.
    login_manager.blueprint_login_views = {**(login_manager.blueprint_login_views or {}),
                                           "portal": "portal.login"}
