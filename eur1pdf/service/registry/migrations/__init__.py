"""Alembic's script folder for the registry (``env.py``, ``versions/``), shipped inside the package."""
