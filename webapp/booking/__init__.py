"""Bookings: the one writer of caseworker and room time, and what follows a change."""
