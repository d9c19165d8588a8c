"""Testing tools for users: golden PDF comparison by content and the pytest plug-in."""
