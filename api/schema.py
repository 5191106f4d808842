"""OpenAPI post-processing: every operation documents the errors it can give,
with the body DRF sends, so clients (and schemathesis) know them. Also the
security scheme of integration keys (registered when this module is imported,
from ``ApiConfig.ready``)."""

from drf_spectacular.extensions import OpenApiAuthenticationExtension

ERROR_BODY = {
    "type": "object",
    "description": "Either `detail` (one reason) or one list of reasons per field.",
    "properties": {"detail": {"type": "string"}},
    "additionalProperties": True,
}

ERRORS = {
    "400": "Invalid input: a list of reasons per field.",
    "401": "No API key or session, or an unknown or revoked key.",
    "403": "Authenticated, but this client may not do this.",
    "404": "Not found, or not this client's (the same answer).",
    "405": "Method not allowed.",
    "406": "Not acceptable.",
    "409": "The external reference belongs to an obstacle this client did not take in.",
    "415": "Unsupported media type.",
    "429": "Too many requests from this key: wait the Retry-After seconds.",
}


def document_error_responses(result, generator, request, public):
    result.setdefault("components", {}).setdefault("schemas", {})["Error"] = ERROR_BODY
    ref = {"$ref": "#/components/schemas/Error"}
    for methods in result.get("paths", {}).values():
        for operation in methods.values():
            responses = operation.setdefault("responses", {})
            for code, description in ERRORS.items():
                responses.setdefault(code, {
                    "description": description,
                    "content": {"application/json": {"schema": ref}},
                })
    return result


def only_public_api(endpoints):
    """Preprocessing: the document describes /api/v1/ only (not Wagtail's admin
    API, nor Open311, which has its own specification)."""
    return [e for e in endpoints if e[0].startswith("/api/v1/")]


class IntegrationKeyScheme(OpenApiAuthenticationExtension):
    target_class = "api.authentication.IntegrationKeyAuthentication"
    name = "ApiKey"

    def get_security_definition(self, auto_schema):
        return {"type": "apiKey", "in": "header", "name": "Authorization",
                "description": "`Api-Key <key>`"}
