"""Route modules, one per audience: operator, tenant configuration, numbers and caller ID."""
