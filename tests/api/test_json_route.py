"""`JsonBodyRoute` answers exactly what FastAPI's own route answers, only cheaper.

Two copies of one endpoint behind the input guard and the app's 422 handler: one an
ordinary `APIRoute`, one a `JsonBodyRoute`. Every request below (valid and invalid
bodies, other and doubled content types, no body) must get the same status and body
from both; a valid `application/json` body must be read from the guard's parse.
"""

from __future__ import annotations

import pytest
from fastapi import APIRouter, FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.routing import APIRoute
from fastapi.testclient import TestClient
from pydantic import BaseModel, Field
from starlette.responses import JSONResponse, Response

from api import json_route
from api.errors import validation_error
from api.input_guard import InputGuard
from api.json_route import JsonBodyRoute


class Body(BaseModel):
    text: str = Field(max_length=5)
    count: int = 0


async def echo(body: Body, request: Request) -> Response:
    return JSONResponse({"body": body.model_dump(), "path": request.url.path})


def build() -> TestClient:
    app = FastAPI()
    router = APIRouter()
    router.add_api_route("/plain", echo, methods=["POST"])
    router.add_api_route("/fast", echo, methods=["POST"], route_class_override=JsonBodyRoute)
    app.include_router(router)
    app.add_middleware(InputGuard)
    app.add_exception_handler(RequestValidationError, validation_error)
    return TestClient(app)


JSON = [("content-type", "application/json")]
CASES: dict[str, tuple[bytes, list[tuple[str, str]]]] = {
    "valid": (b'{"text": "hi", "count": 2}', JSON),
    "valid, charset": (b'{"text": "hi"}', [("content-type", "Application/JSON; charset=utf-8")]),
    "too long": (b'{"text": "longer"}', JSON),
    "missing field": (b'{"count": 1}', JSON),
    "wrong type": (b'{"text": 5}', JSON),
    "a list": (b'[{"text": "hi"}]', JSON),
    "null": (b"null", JSON),
    "not JSON": (b'{"text": ', JSON),
    "empty": (b"", JSON),
    "no content type": (b'{"text": "hi"}', []),
    "text/plain": (b'{"text": "hi"}', [("content-type", "text/plain")]),
    "+json": (b'{"text": "hi"}', [("content-type", "application/merge-patch+json")]),
    "json, then text": (b'{"text": "hi"}', [*JSON, ("content-type", "text/plain")]),
    "text, then json": (b'{"text": "hi"}', [("content-type", "text/plain"), *JSON]),
}


@pytest.mark.parametrize("case", sorted(CASES))
def test_same_answer_as_fastapis_route(case: str) -> None:
    content, headers = CASES[case]
    client = build()
    plain = client.post("/plain", content=content, headers=headers)
    fast = client.post("/fast", content=content, headers=headers)
    assert fast.status_code == plain.status_code
    expected = plain.json()
    if plain.status_code == 200:
        expected["path"] = "/fast"
    assert fast.json() == expected


def test_only_what_needs_it_goes_to_fastapis_handler(monkeypatch: pytest.MonkeyPatch) -> None:
    """A valid JSON body is taken from the guard's parse; FastAPI's generic handler (which
    would parse it again) is asked only for the rest."""
    generic: list[str] = []
    fastapis = APIRoute.get_route_handler

    def counted(route: APIRoute) -> json_route.Handler:
        handler = fastapis(route)

        async def counting(request: Request) -> Response:
            generic.append(request.url.path)
            return await handler(request)

        return counting

    monkeypatch.setattr(APIRoute, "get_route_handler", counted)
    client = build()
    assert client.post("/fast", json={"text": "hi"}).status_code == 200
    assert generic == []
    assert client.post("/fast", json={"text": "longer"}).status_code == 422
    text = {"content-type": "text/plain"}
    assert client.post("/fast", content=b'{"text": "hi"}', headers=text).status_code == 422
    assert generic == ["/fast", "/fast"]


def test_other_parameters_are_refused_when_the_route_is_built() -> None:
    async def with_query(body: Body, request: Request, page: int = 1) -> Response:
        return Response()

    router = APIRouter()
    with pytest.raises(TypeError, match="JsonBodyRoute"):
        router.add_api_route(
            "/x", with_query, methods=["POST"], route_class_override=JsonBodyRoute
        )
