"""Every route of the OpenAPI schema, with the view behind it and the model it serves."""

import copy
import re
from dataclasses import dataclass
from functools import cache

from django.urls import resolve
from drf_spectacular.generators import SchemaGenerator

from accounts.models import TenantModel

PARAMETER = re.compile(r"\{([^}]+)\}")


@dataclass
class Route:
    template: str
    method: str
    operation: dict
    view_class: type
    model: type | None

    @property
    def parameters(self) -> list[str]:
        return PARAMETER.findall(self.template)

    @property
    def is_tenant_detail(self) -> bool:
        return bool(self.parameters) and self.model is not None and issubclass(self.model, TenantModel)

    @property
    def lookup_field(self) -> str:
        return getattr(self.view_class, "lookup_field", "pk")

    @property
    def is_paginated_list(self) -> bool:
        if self.method != "get" or self.parameters:
            return False
        schema = (
            self.operation["responses"].get("200", {}).get("content", {}).get("application/json", {}).get("schema", {})
        )
        return "$ref" in schema and schema["$ref"].split("/")[-1].startswith("Paginated")

    def path(self, value=None) -> str:
        return PARAMETER.sub(str(value), self.template) if self.parameters else self.template

    def __str__(self) -> str:
        return f"{self.method.upper()} {self.template}"


def response_text(response) -> str:
    """The body as text; a streamed body (a CSV download) is read to its end, which runs its queries."""
    content = b"".join(response.streaming_content) if response.streaming else response.content
    return content.decode(errors="replace")


def _model_of(view_class) -> type | None:
    queryset = getattr(view_class, "queryset", None)
    if queryset is not None:
        return queryset.model
    try:
        return view_class().get_queryset().model
    except Exception:
        return None


@cache
def _generated_schema() -> dict:
    return SchemaGenerator().get_schema(request=None, public=True)


def openapi_schema() -> dict:
    """The OpenAPI schema /api/schema/ serves, generated once per test process; a copy to change at will."""
    return copy.deepcopy(_generated_schema())


def api_routes() -> list[Route]:
    schema = _generated_schema()
    routes = []
    for template, operations in schema["paths"].items():
        for method, operation in operations.items():
            match = resolve(PARAMETER.sub("1", template))
            view_class = match.func.cls
            routes.append(Route(template, method, operation, view_class, _model_of(view_class)))
    return routes
