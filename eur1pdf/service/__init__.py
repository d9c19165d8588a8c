"""The HTTP service (eur1pdf serve)."""
