"""OpenAPI generation: every operation documents the errors it can answer.

drf-spectacular documents success bodies only. Integrators need the failure
shapes too, so this AutoSchema adds them from what the view is configured
with: 401 when authentication is required, 403 for writes (viewers) and
owner-only actions, 404 for anything addressed by id, 400 for bodies and
filters, 429 with ``Retry-After`` when throttled. It also documents PUT as a
partial update on views that accept one (the original API's PUT is partial).
"""

from __future__ import annotations

import copy

from drf_spectacular import openapi
from drf_spectacular.plumbing import force_instance, is_serializer
from rest_framework import permissions, serializers

VALIDATION_ERROR_SCHEMA = {
    "type": "object",
    "description": (
        "Keyed by field name (or `non_field_errors`), each a list of messages saying what is wrong."
    ),
    "additionalProperties": {"type": "array", "items": {"type": "string"}},
    "example": {"name": ["This field may not be blank."]},
}

RETRY_AFTER_HEADER = {
    "Retry-After": {
        "schema": {"type": "integer"},
        "description": "Seconds to wait before the next request is allowed.",
    }
}


class ErrorSerializer(serializers.Serializer):
    detail = serializers.CharField(help_text="What went wrong, for a person to read.")
    code = serializers.CharField(required=False, help_text="A stable machine-readable code.")


class AutoSchema(openapi.AutoSchema):
    def _get_request_for_media_type(self, serializer, direction="request"):
        if self.method == "PUT" and getattr(self.view, "put_is_partial", False):
            instance = force_instance(serializer)
            if is_serializer(instance):
                # Documented like PATCH: every field optional.
                serializer = copy.copy(instance)
                serializer.partial = True
        return super()._get_request_for_media_type(serializer, direction)

    def _get_response_bodies(self, direction="response"):
        responses = super()._get_response_bodies(direction)
        for code, description in self._error_codes().items():
            if code in responses:
                continue
            if code == "400":
                responses[code] = {
                    "content": {"application/json": {"schema": VALIDATION_ERROR_SCHEMA}},
                    "description": description,
                }
                continue
            response = self._get_response_for_code(ErrorSerializer, code, direction=direction)
            response["description"] = description
            if code == "429":
                response["headers"] = {**response.get("headers", {}), **RETRY_AFTER_HEADER}
            responses[code] = response
        return responses

    def _error_codes(self) -> dict[str, str]:
        codes: dict[str, str] = {}
        writes = self.method in ("POST", "PUT", "PATCH", "DELETE")
        if writes or self._has_filters():
            codes["400"] = "Invalid input: the body names each field and its problem."
        if self._requires_authentication():
            codes["401"] = "Missing, invalid or expired credentials."
        elif writes and self._is_credentials_exchange():
            codes["401"] = "The username/password or refresh token was rejected."
        owner_only = getattr(self.view, "action", None) in getattr(
            self.view, "owner_only_actions", ()
        )
        if (writes or owner_only) and self._requires_authentication():
            codes["403"] = "Your role in this workspace does not allow this."
        if self._addresses_one_object():
            codes["404"] = "Not found, or not in a workspace you belong to."
        if self.view.get_throttles():
            codes["429"] = "Rate limit exceeded; retry after `Retry-After` seconds."
        return codes

    def _requires_authentication(self) -> bool:
        return any(
            not isinstance(permission, permissions.AllowAny)
            for permission in self.view.get_permissions()
        )

    def _is_credentials_exchange(self) -> bool:
        # The token endpoints authenticate nobody: they check what the body carries.
        return tuple(getattr(self.view, "authentication_classes", None) or ()) == ()

    def _addresses_one_object(self) -> bool:
        return "{" in self.path

    def _has_filters(self) -> bool:
        return (
            self.method == "GET"
            and self._is_list_view()
            and bool(getattr(self.view, "filterset_class", None))
        )
