"""Bastion: account-access and sign-in security for digital-asset platforms."""

__version__ = "0.1.0"
