"""Risk-based sign-in (requirements §18-21): signals, policy, device verification, trusted devices."""
