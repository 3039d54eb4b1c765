"""Building the OpenAPI 3.1 document of an app (FastAPI's ``fastapi.openapi.utils``).

``get_openapi`` works in three steps:

1. every ``APIRoute`` (routes, webhooks and their callbacks; hidden routes
   skipped) is read into a ``RouteDoc`` and its schema fields are collected;
2. all fields get their JSON Schemas in one pydantic pass (``SchemaSet``),
   which also yields the shared ``components/schemas``;
3. each route becomes a Path Item (``_operation``), keyed by its path with
   convertors stripped (``/files/{path}``), and the document is put in
   FastAPI's output shape (``_shape``).

``get_openapi_for_app`` passes the app's settings; with
``App(openapi_nullable_as_30=True)`` the schemas are then rewritten in the
OpenAPI 3.0 style (``nullable30``).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from ferrule.routing import APIRoute

from ._operation import OperationBuilder
from ._route_doc import RouteDoc
from ._schemas import SchemaField, SchemaSet
from ._shape import shape_document

__all__ = ["get_openapi", "get_openapi_for_app"]


def _api_routes(routes: Sequence[Any]) -> list[APIRoute]:
    return [route for route in routes if isinstance(route, APIRoute)]


def _given(**fields: Any) -> dict[str, Any]:
    """The fields that have a value, in order (the document leaves out empty optional fields)."""
    return {key: value for key, value in fields.items() if value}


def _collect(routes: Sequence[Any], docs: dict[int, RouteDoc], fields: list[SchemaField]) -> None:
    for route in _api_routes(routes):
        if not route.include_in_schema:
            continue
        doc = docs.get(id(route))
        if doc is None:
            doc = docs[id(route)] = RouteDoc(route)
        if doc.callbacks:
            _collect(doc.callbacks, docs, fields)
        fields.extend(doc.fields())


def get_openapi(
    *,
    title: str,
    version: str,
    openapi_version: str = "3.1.0",
    summary: str | None = None,
    description: str | None = None,
    routes: Sequence[Any],
    webhooks: Sequence[Any] | None = None,
    tags: list[dict[str, Any]] | None = None,
    servers: list[dict[str, Any]] | None = None,
    terms_of_service: str | None = None,
    contact: dict[str, Any] | None = None,
    license_info: dict[str, Any] | None = None,
    separate_input_output_schemas: bool = True,
    external_docs: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """The OpenAPI document for ``routes`` (FastAPI's function and signature).

    Args:
        title: ``info.title``.
        version: ``info.version`` (the API's version, not OpenAPI's).
        openapi_version: the ``openapi`` field.
        summary: ``info.summary``.
        description: ``info.description`` (Markdown).
        routes: the routes; only ``APIRoute`` objects with
            ``include_in_schema`` are documented.
        webhooks: routes documented under ``webhooks``.
        tags: the top-level ``tags`` (order and descriptions of tags).
        servers: the ``servers`` list.
        terms_of_service: ``info.termsOfService`` (a URL).
        contact: ``info.contact`` (name, url, email).
        license_info: ``info.license`` (name, identifier or url).
        separate_input_output_schemas: give models whose request and
            response schemas differ two components (``-Input``/``-Output``).
        external_docs: the top-level ``externalDocs``.

    Returns:
        The document as JSON-ready data.
    """
    info = {
        "title": title,
        "version": version,
        **_given(
            summary=summary,
            description=description,
            termsOfService=terms_of_service,
            contact=contact,
            license=license_info,
        ),
    }
    output: dict[str, Any] = {"openapi": openapi_version, "info": info, **_given(servers=servers)}
    docs: dict[int, RouteDoc] = {}
    fields: list[SchemaField] = []
    _collect(routes, docs, fields)
    _collect(webhooks or (), docs, fields)
    schemas = SchemaSet(fields, separate_input_output_schemas=separate_input_output_schemas)
    builder = OperationBuilder(schemas)
    builder.docs = docs
    definitions = dict(schemas.definitions)
    paths: dict[str, dict[str, Any]] = {}
    webhook_paths: dict[str, dict[str, Any]] = {}
    for group, target in ((routes, paths), (webhooks or (), webhook_paths)):
        for route in _api_routes(group):
            item = builder.path_item(builder.doc(route))
            if item:
                target.setdefault(route.path_format, {}).update(item)
    definitions.update(builder.definitions)
    components = _given(
        securitySchemes=builder.security_schemes,
        schemas={name: definitions[name] for name in sorted(definitions)},
    )
    output.update(_given(components=components))
    output["paths"] = paths
    output.update(_given(webhooks=webhook_paths, tags=tags, externalDocs=external_docs))
    return shape_document(output)


def get_openapi_for_app(app: Any) -> dict[str, Any]:
    """The OpenAPI document of a ferrule ``App`` (what ``App.openapi()`` caches)."""
    document = get_openapi(
        title=app.title,
        version=app.version,
        openapi_version=app.openapi_version,
        summary=app.summary,
        description=app.description,
        terms_of_service=app.terms_of_service,
        contact=app.contact,
        license_info=app.license_info,
        routes=app.routes,
        webhooks=app.webhooks.routes,
        tags=app.openapi_tags,
        servers=app.servers,
        separate_input_output_schemas=app.separate_input_output_schemas,
        external_docs=app.openapi_external_docs,
    )
    if getattr(app, "openapi_nullable_as_30", False):
        from .nullable30 import nullable_as_30

        document = nullable_as_30(document)
    return document
