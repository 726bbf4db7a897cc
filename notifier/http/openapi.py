"""What `/openapi.json` says: every status the API can answer, the shape of a rejection, and the
event schemas of CONTRACT §1 (one per type) as the body of `POST /events`.

`POST /events` reads its body itself (to check the signature on the exact bytes), so FastAPI
cannot see the body's model: the event schemas are added to the document here.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.openapi.utils import get_openapi
from fastapi.responses import JSONResponse
from pydantic import BaseModel

from notifier.contract.events import EVENT_TYPES, EventIn, required_sections

SCHEMAS = "#/components/schemas/{model}"
DESCRIPTIONS = {
    400: "The body is not JSON, or not the sender's payload shape",
    401: "A signature or the ops token (Bearer) is missing or wrong",
    403: "The provider's signature is missing or wrong, or the CSRF token is",
    404: "Nothing has this id",
    413: "The body is over the size limit",
    422: "A field is wrong: each problem names the field and the reason",
    503: "This part is not configured (the setting is named), or a dependency does not answer",
}


class Problem(BaseModel):
    """One thing wrong with a request."""

    field: str
    reason: str


class Problems(BaseModel):
    """Every rejection: the problems, each naming its field."""

    detail: list[Problem]


def problems(*statuses: int) -> dict[int | str, dict[str, Any]]:
    """The `responses` of a route that can answer these rejections."""
    return {status: {"description": DESCRIPTIONS[status], "model": Problems} for status in statuses}


def event_schema_name(event_type: str) -> str:
    """The component name of one event type's schema: `order.placed` → `Event_order_placed`."""
    return "Event_" + event_type.replace(".", "_")


def events_request_body() -> dict[str, Any]:
    """`POST /events` takes one event or an array of them, each of one of the contract's types."""
    one = {"oneOf": [{"$ref": SCHEMAS.format(model=event_schema_name(t))} for t in EVENT_TYPES]}
    return {
        "required": True,
        "content": {
            "application/json": {"schema": {"oneOf": [one, {"type": "array", "items": one}]}}
        },
    }


def event_components() -> dict[str, Any]:
    """The schemas of the event's sections, and one schema per event type."""
    base = EventIn.model_json_schema(ref_template=SCHEMAS)
    components: dict[str, Any] = dict(base.pop("$defs", {}))
    for event_type in EVENT_TYPES:
        properties = dict(base["properties"]) | {"type": {"const": event_type}}
        required = [*base.get("required", []), *required_sections(event_type)]
        components[event_schema_name(event_type)] = base | {
            "title": event_type,
            "properties": properties,
            "required": required,
        }
    return components


def install(app: FastAPI) -> None:
    """Give the app this document, and rejections of bad parameters in the Problems shape."""
    app.openapi = _document(app)  # type: ignore[method-assign]
    app.add_exception_handler(RequestValidationError, _validation_problems)


def _document(app: FastAPI) -> Callable[[], dict[str, Any]]:
    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            document = get_openapi(title=app.title, version=app.version, routes=app.routes)
            document.setdefault("components", {}).setdefault("schemas", {})
            document["components"]["schemas"].update(event_components())
            _use_problems_for_validation(document)
            app.openapi_schema = document
        return app.openapi_schema

    return openapi


def _use_problems_for_validation(document: dict[str, Any]) -> None:
    """FastAPI documents its own 422 shape; ours names the field and the reason."""
    schemas = document["components"]["schemas"]
    schemas.pop("HTTPValidationError", None)
    schemas.pop("ValidationError", None)
    schemas.setdefault("Problems", Problems.model_json_schema(ref_template=SCHEMAS))
    schemas.setdefault("Problem", Problem.model_json_schema())
    for path in document["paths"].values():
        for operation in path.values():
            answer = operation.get("responses", {}).get("422")
            if answer is not None:
                answer["description"] = DESCRIPTIONS[422]
                answer["content"] = {
                    "application/json": {"schema": {"$ref": SCHEMAS.format(model="Problems")}}
                }


async def _validation_problems(_request: Request, exc: Exception) -> JSONResponse:
    errors = exc.errors() if isinstance(exc, RequestValidationError) else []
    detail = [
        {"field": ".".join(str(part) for part in error["loc"][1:]) or str(error["loc"][0]),
         "reason": str(error["msg"])}
        for error in errors
    ]  # fmt: skip
    return JSONResponse({"detail": detail}, status_code=422)
