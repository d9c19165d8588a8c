"""Placement: certificate + prepared layout -> the drawables of every page (plain data)."""
