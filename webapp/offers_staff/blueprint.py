"""The offers pages' blueprint, apart from its package so the routes and the package both import it one way."""

from flask import Blueprint

bp = Blueprint("offers_staff", __name__, url_prefix="/caseworker")
