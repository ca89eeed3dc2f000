"""Citizen self-booking: online offers, slots, reservations, deadlines and the citizen's meetings."""
