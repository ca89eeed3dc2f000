"""The portal's blueprint, apart from its package so the routes and the package both import it one way."""

from flask import Blueprint

bp = Blueprint("portal", __name__, url_prefix="/portal")
