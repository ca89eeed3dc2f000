"""The API's blueprint, apart from its package so the routes and the package both import it one way."""

from flask import Blueprint

bp = Blueprint("api", __name__, url_prefix="/api/v1", cli_group="api")
