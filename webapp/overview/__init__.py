"""The overview (Oversigt): capacity, the waiting list's age and how meetings were booked and cancelled (R-6.10)."""
