"""The REST API (FastAPI) under /api/v1: schemas, auth, problem+json errors, routes."""
