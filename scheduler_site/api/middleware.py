"""JSON answers for everything under ``/api/``.

DRF answers its own errors in JSON. What happens around it is Django's: a path
no route matches (the URL resolver's 404), an exception no handler knew (a
500), a request Django refuses before any view runs. Those are HTML pages, and
with DEBUG the debug page, which an API client cannot read and which shows the
settings. Any error answer under ``/api/`` that DRF did not render itself is
replaced here by ``{"detail": ...}`` with the same status; Django has already
logged it and sent ``got_request_exception`` (error reporting still works).
Pages elsewhere keep their HTML.
"""

from __future__ import annotations

from django.http import JsonResponse
from rest_framework.response import Response

from scheduler_site.api.parsers import too_large

API_PREFIX = "/api/"
DETAILS = {
    400: "Bad request.",
    403: "You do not have permission to do this.",
    404: "Not found.",
    405: "Method not allowed.",
    500: "Server error: something went wrong on our side and it has been logged.",
}
# Headers of the original answer a client still needs.
KEPT_HEADERS = ("Allow", "Retry-After")


class APIErrorMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        if response.status_code < 400 or not request.path_info.startswith(API_PREFIX):
            return response
        if isinstance(response, Response) or _is_json(response):
            return response  # DRF's own answer, in whatever format was negotiated
        return json_error(response)


def _is_json(response) -> bool:
    return response.get("Content-Type", "").split(";")[0].strip() == "application/json"


def json_error(original) -> JsonResponse:
    code = original.status_code
    if code == 413:
        detail = str(too_large().detail)
    else:
        detail = DETAILS.get(code) or original.reason_phrase or "Error."
    response = JsonResponse({"detail": detail}, status=code)
    for header in KEPT_HEADERS:
        if header in original:
            response[header] = original[header]
    return response
