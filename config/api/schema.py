"""How errors appear in the OpenAPI schema.

Every API error has one body (config.api.errors), whatever the endpoint and
the 4xx status: documenting it once, on every operation, lets clients and the
schema-driven tests check error answers as strictly as successful ones. A 5xx
is never documented: it is a bug, not part of the contract.
"""

from typing import Any

ERROR_COMPONENT = "Error"
CLIENT_ERRORS = "4XX"

_ERROR_SCHEMA: dict[str, Any] = {
    "type": "object",
    "description": "An error: a stable code to branch on, a sentence to show, and the messages of each field at fault.",
    "properties": {
        "error": {
            "type": "object",
            "properties": {
                "code": {"type": "string", "description": "e.g. invalid, not_found, role_forbidden, rate_limited"},
                "message": {"type": "string"},
                "fields": {
                    "type": "object",
                    "additionalProperties": {},
                    "description": "Field name -> its messages; a nested field or list item nests the same way.",
                },
            },
            "required": ["code", "message", "fields"],
        }
    },
    "required": ["error"],
}


def _error_content() -> dict[str, Any]:
    return {"application/json": {"schema": {"$ref": f"#/components/schemas/{ERROR_COMPONENT}"}}}


def _client_error_response() -> dict[str, Any]:
    return {
        "description": "A client error: bad input (400, naming the fields), not signed in (401), not allowed "
        "(403), not found or another organization's (404), and the others the API conventions list.",
        "content": _error_content(),
    }


def _document_operation_errors(responses: dict[str, Any]) -> None:
    responses.setdefault(CLIENT_ERRORS, _client_error_response())
    for status, response in responses.items():
        # A view that documents a 4xx by its description alone still answers with the error body.
        if status.startswith("4") and not response.get("content"):
            response["content"] = _error_content()


def document_errors(result: dict, generator, request, public) -> dict:
    """drf-spectacular postprocessing hook: add the error body and a 4XX answer to every operation."""
    result.setdefault("components", {}).setdefault("schemas", {})[ERROR_COMPONENT] = _ERROR_SCHEMA
    for operations in result.get("paths", {}).values():
        for operation in operations.values():
            _document_operation_errors(operation.setdefault("responses", {}))
    return result
