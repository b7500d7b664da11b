"""Request guards shared by pages and the API."""

from django.conf import settings
from django.http import JsonResponse


class RequestSizeLimitMiddleware:
    """Answer 413 with a JSON body, before anything reads it, when a request declares a body
    larger than we accept: ``DATA_UPLOAD_MAX_MEMORY_SIZE`` for ordinary bodies (JSON, forms) and
    ``ACCORD_MAX_UPLOAD_BYTES`` for multipart uploads (CSV imports)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        try:
            length = int(request.META.get("CONTENT_LENGTH") or 0)
        except ValueError:
            return JsonResponse({"detail": "Invalid Content-Length header."}, status=400)
        multipart = request.META.get("CONTENT_TYPE", "").startswith("multipart/")
        limit = settings.ACCORD_MAX_UPLOAD_BYTES if multipart else settings.DATA_UPLOAD_MAX_MEMORY_SIZE
        if length > limit:
            return JsonResponse(
                {"detail": f"Request body too large: {length} bytes; the limit is {limit} bytes."}, status=413
            )
        return self.get_response(request)


class NoStoreMiddleware:
    """``Cache-Control: private, no-store`` on every response Django itself produces: pages,
    API answers, CSV/XLSX/PDF downloads. They are all per-user (and a sign-in page carries a CSRF
    token), so no browser or proxy may keep a copy. Static files never get here: WhiteNoise, placed
    before this middleware, answers them with its own long-lived caching headers."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        response["Cache-Control"] = "private, no-store"
        response.headers.pop("Expires", None)
        return response
