"""Notifications: templates, the outbox, delivery by SMTP (or the dev mailbox)."""
