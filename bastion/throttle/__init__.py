"""Throttling: failure counters and lockouts on interchangeable backends (memory, database, Redis)."""
