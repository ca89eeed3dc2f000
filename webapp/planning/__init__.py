"""The batch allocation: from the waiting list through the optimiser to published bookings."""
