"""Persistence: SQLAlchemy 2 Core tables, repositories scoped to a tenant, and the unit of work."""
