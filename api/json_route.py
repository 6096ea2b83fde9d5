"""A route for the hottest endpoint: its JSON body validated once, FastAPI's handler
only for the requests that need it.

FastAPI's request handler is generic: per request it parses the content type with
`email.message`, parses the body again although the input guard (api/input_guard.py)
has just parsed and checked it, solves the dependencies, and records telemetry. For
`POST /api/chat` that was a tenth of the process's CPU per message (BENCHMARKS.md,
issue 16). `JsonBodyRoute` takes the guard's parsed value when the body is
`application/json`, validates it with the route's own body field (FastAPI's very
validation, so the same model comes out), and calls the endpoint. Everything else
(another content type, no body, invalid JSON, a value that does not validate) goes to
FastAPI's handler, so every error answer stays FastAPI's own, word for word.

The route is for an `async` endpoint whose parameters are one body model and the
`Request`, returning a `Response`, in a router without dependencies; anything else is
refused when the route is built.
"""

from __future__ import annotations

from collections.abc import Callable, Coroutine
from typing import Any

from fastapi.routing import APIRoute
from starlette.requests import Request
from starlette.responses import Response

from api.input_guard import checked_json

Handler = Callable[[Request], Coroutine[Any, Any, Response]]


class JsonBodyRoute(APIRoute):
    """An `APIRoute` whose requests with a checked JSON body skip FastAPI's generic handler."""

    def get_route_handler(self) -> Handler:
        fallback = super().get_route_handler()
        dependant = self.dependant
        others = (
            dependant.path_params, dependant.query_params, dependant.header_params,
            dependant.cookie_params, dependant.dependencies,
        )
        if len(dependant.body_params) != 1 or any(others) or not dependant.request_param_name:
            raise TypeError(f"{self.path}: JsonBodyRoute needs (body model, Request) parameters")
        field, endpoint = dependant.body_params[0], dependant.call
        body_name, request_name = field.name, dependant.request_param_name
        assert endpoint is not None

        async def handle(request: Request) -> Response:
            value = checked_json(request.scope)
            if value is None:
                return await fallback(request)
            body, errors = field.validate(value, {}, loc=("body",))
            if errors:
                return await fallback(request)  # FastAPI's own 422
            response = await endpoint(**{body_name: body, request_name: request})
            if not isinstance(response, Response):
                raise TypeError(f"{self.path}: a JsonBodyRoute endpoint returns a Response")
            return response

        return handle
