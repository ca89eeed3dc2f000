"""Cross-cutting database helpers: the shared SQL pieces and the audit trail."""
