"""Routes served without FastAPI's per-request machinery, still documented in the OpenAPI schema.

The platform validates a session on every request its users make, so `GET /v1/session` and
`POST /v1/introspect` must cost little more than the server itself. A `DirectRoute` is a
FastAPI route in every way the schema sees (response model, responses, tags), but its
requests go straight to its endpoint, `async def endpoint(request) -> Response`: no
dependency resolution, no body model and no response-model validation on the way. The
endpoint parses what it needs (`parse_body`) and answers bytes (`json_answer`).
"""

from __future__ import annotations

from collections.abc import Callable, Coroutine
from typing import Any, TypeVar

from fastapi.exceptions import RequestValidationError
from fastapi.routing import APIRoute
from pydantic import BaseModel, ValidationError
from pydantic_core import to_json
from starlette.requests import ClientDisconnect, Request
from starlette.responses import Response
from starlette.routing import request_response
from starlette.types import Receive

Model = TypeVar("Model", bound=BaseModel)


class DirectRoute(APIRoute):
    def __init__(self, path: str, endpoint: Callable[..., Any], **documentation: Any) -> None:
        super().__init__(path, endpoint, **documentation)
        self.app = request_response(self.endpoint)  # Starlette's: the app's exception handlers still apply

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        return self.endpoint


def json_answer(content: Any, status_code: int = 200) -> Response:
    """JSON serialized as the response models would serialize it (pydantic-core), without building them."""
    return _JSONAnswer(to_json(content), status_code)


class _JSONAnswer(Response):
    """A JSON body and its two headers, nothing to work out (Response.__init__ decides them per answer)."""

    media_type = "application/json"

    def __init__(self, body: bytes, status_code: int) -> None:
        self.status_code = status_code
        self.background = None
        self.body = body
        self.raw_headers = [(b"content-length", str(len(body)).encode()), (b"content-type", b"application/json")]


async def read_body(receive: Receive) -> bytes:
    """The request's body, as `request.body()` reads it but without its stream machinery: one
    message in the usual case. (The edge caps its size.)"""
    chunks = []
    while True:
        message = await receive()
        if message["type"] == "http.disconnect":
            raise ClientDisconnect()
        chunks.append(message.get("body", b""))
        if not message.get("more_body", False):
            return chunks[0] if len(chunks) == 1 else b"".join(chunks)


def parse_body(model: type[Model], raw: bytes) -> Model:
    """The JSON body as `model`; refused as FastAPI refuses a body it cannot validate."""
    try:
        return model.model_validate_json(raw)
    except ValidationError as error:
        raise RequestValidationError(
            [{**item, "loc": ("body", *item["loc"])} for item in error.errors(include_url=False)]) from None


def request_body_schema(model: type[BaseModel]) -> dict[str, Any]:
    """`openapi_extra` documenting a JSON body the endpoint parses itself."""
    return {"requestBody": {"required": True,
                            "content": {"application/json": {"schema": model.model_json_schema()}}}}
