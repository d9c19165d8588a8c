"""The finish stage of a final certificate: lock, sign, verify."""
