"""Risk-based sign-in (REQUIREMENTS 18–21): devices, offline geolocation, signals, policy, device verification."""
