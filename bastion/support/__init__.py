"""Support: the agent views and decisions on recovery cases (requirements §33-34)."""
