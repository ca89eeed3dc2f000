"""Messages to citizens and caseworkers: letters, receipts and the outbox."""
