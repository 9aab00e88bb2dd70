"""The thin HTTP layer: FastAPI routers (JSON API) and server-rendered pages."""
