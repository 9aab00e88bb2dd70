"""Sign-in: the flow state machine (password → account gates → … → session) and its history."""
