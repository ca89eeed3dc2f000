"""The mail viewer's blueprint, apart from its package so the routes and the package both import it one way."""

from flask import Blueprint

bp = Blueprint("devmail", __name__, url_prefix="/udvikling/post")
