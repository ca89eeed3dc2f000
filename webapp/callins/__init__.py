"""Calling citizens in: by caseworkers, from templates, and from the municipal case system."""
