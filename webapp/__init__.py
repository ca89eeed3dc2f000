"""The conversation planner's Flask application."""

from __future__ import annotations

import logging
from typing import Any

from flask import Flask, request

from webapp.config import INSTANCE_DIR, Config, check_environment
from webapp.extensions import babel, csrf, db, login_manager, migrate
from webapp.language import current_language, select_locale


def include_in_migrations(obj: Any, name: str | None, type_: str, reflected: bool,
                          compare_to: Any) -> bool:
    """Alembic compares our tables only; the scheduler's job store keeps its own."""
    return not (type_ == "table" and name is not None and name.startswith("apscheduler_"))


def create_app(config: type[Config] | dict[str, Any] | None = None) -> Flask:
    app = Flask(__name__, instance_path=str(INSTANCE_DIR))
    app.config.from_object(Config)
    if isinstance(config, dict):
        app.config.update(config)
    elif config is not None:
        app.config.from_object(config)
    # Production refuses the development key, the demo login, cookies without Secure.
    check_environment(app.config, app.logger)
    if app.config.get("PLANNER_PROXY_COUNT"):
        # The client's address (login lockout, rate limits) from the trusted proxies' header.
        from werkzeug.middleware.proxy_fix import ProxyFix
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=app.config["PLANNER_PROXY_COUNT"])  # type: ignore[method-assign]
    INSTANCE_DIR.mkdir(exist_ok=True)
    if app.config["SQLALCHEMY_DATABASE_URI"].startswith("sqlite"):
        # Writers queue for SQLite's single write lock instead of failing after 5 s.
        options = dict(app.config.get("SQLALCHEMY_ENGINE_OPTIONS") or {})
        options.setdefault("connect_args", {}).setdefault("timeout", 30)
        app.config["SQLALCHEMY_ENGINE_OPTIONS"] = options
    elif app.config["SQLALCHEMY_DATABASE_URI"].startswith("postgresql"):
        mode = app.config.get("PLANNER_PG_PLAN_CACHE_MODE")
        if mode and mode != "auto":
            options = dict(app.config.get("SQLALCHEMY_ENGINE_OPTIONS") or {})
            connect_args = dict(options.get("connect_args") or {})
            connect_args["options"] = " ".join(
                filter(None, [connect_args.get("options"), f"-c plan_cache_mode={mode}"]))
            options["connect_args"] = connect_args
            app.config["SQLALCHEMY_ENGINE_OPTIONS"] = options

    from webapp.domain.cpr import ACCESS_LOGGERS, CprRedactingFilter, mask_cprs_in_loggers
    for handler in logging.getLogger().handlers + app.logger.handlers:
        handler.addFilter(CprRedactingFilter())
    mask_cprs_in_loggers((app.logger.name, *ACCESS_LOGGERS))

    from webapp.limits import init_limits
    init_limits(app)
    db.init_app(app)
    from webapp.storage.sql import end_read_only_transactions
    end_read_only_transactions(app)
    from webapp.models.schema_compare import AUTOGENERATE_PLUGINS
    migrate.init_app(app, db, render_as_batch=True, compare_type=True,
                     include_object=include_in_migrations, autogenerate_plugins=AUTOGENERATE_PLUGINS,
                     directory=str(INSTANCE_DIR.parent / "migrations"))
    csrf.init_app(app)
    babel.init_app(app, locale_selector=select_locale, timezone_selector=lambda: "Europe/Copenhagen")
    app.jinja_env.globals["current_language"] = current_language
    login_manager.init_app(app)

    from webapp import models  # noqa: F401  (register the mappers)
    from webapp.auth import bp as auth_bp
    from webapp.auth.loader import configure_login
    configure_login(login_manager)
    app.register_blueprint(auth_bp)
    from webapp.auth.password_links import bp as password_link_bp
    app.register_blueprint(password_link_bp)  # a new staff login's set-password link
    from webapp.auth.oidc import init_oidc
    init_oidc(app)  # OpenID Connect login, when configured

    from webapp.admin import init_admin
    init_admin(app)

    from webapp.caseworker import bp as caseworker_bp
    app.register_blueprint(caseworker_bp)
    from webapp.messaging.notifications import connect_listeners
    connect_listeners()
    from webapp.messaging.dfdg import connect_listeners as connect_hub_listeners
    connect_hub_listeners()  # the national data hub's messages
    from webapp.selfbooking.listeners import connect as connect_selfbooking_listeners
    connect_selfbooking_listeners()  # deadlines and the out-of-slots check

    from webapp.ratelimit import init_ratelimit
    init_ratelimit(app)  # the limits of logins and bookings, in the API and the portal
    from webapp.api import init_api
    init_api(app)
    from webapp.integration import init_integration
    init_integration(app)
    from webapp.portal import init_portal
    init_portal(app)
    from webapp.offers_staff import bp as offers_staff_bp
    app.register_blueprint(offers_staff_bp)
    from webapp.devmail import bp as devmail_bp
    app.register_blueprint(devmail_bp)  # answers 404 unless PLANNER_DEV_MAILBOX is set

    from webapp.cli import register_cli
    register_cli(app)  # `flask allocate`, `flask scheduler` and `flask seed demo` come from wsgi.py

    from webapp.errors import init_errors
    init_errors(app)  # 503 while the database is away; /health asks the database

    @app.after_request
    def security_headers(response):  # type: ignore[no-untyped-def]
        response.headers.setdefault("X-Content-Type-Options", "nosniff")
        response.headers.setdefault("X-Frame-Options", "DENY")
        response.headers.setdefault("Referrer-Policy", "same-origin")
        if request.path.startswith(("/admin", "/portal", "/login")):
            response.headers.setdefault("Cache-Control", "no-store")
        return response

    return app
