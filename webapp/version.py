"""The release version shown on the About page."""

__version__ = "0.1.0"
