"""A software CTAP2 authenticator for tests and trials (not hardware-protected)."""
