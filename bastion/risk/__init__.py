"""Risk-based sign-in (requirements §18-21): devices, offline geolocation, signals, policy, device verification."""
