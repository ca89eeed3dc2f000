"""Calendars: free time, closure days, busy times imported and invitations exported."""
