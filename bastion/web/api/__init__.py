"""JSON API routers under /v1."""
