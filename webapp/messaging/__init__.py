"""Messages to citizens and caseworkers: letters, receipts, calendar invitations and the outbox."""
