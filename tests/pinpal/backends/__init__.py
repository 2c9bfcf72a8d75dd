"""Keyring backends that stand in for a system service in `pinpal` subprocesses."""
