"""Request guards shared by pages and the API, and their compression."""

import gzip
import secrets

from django.conf import settings
from django.http import JsonResponse
from django.middleware.gzip import GZipMiddleware, re_accepts_gzip
from django.utils.cache import patch_vary_headers


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


class FastGZipMiddleware(GZipMiddleware):
    """Django's GZip middleware, compressing whole pages and API answers at zlib level 1 instead
    of Django's fixed 6: about a third of the CPU for ~12% more bytes (a 170 KB decision list:
    1.8 ms instead of 4.7 ms, 8.3 KB instead of 7.4 KB; docs/benchmarks.md, "Request cost").
    Everything else — short or already encoded answers, clients without gzip, streamed downloads
    — is Django's own ``process_response``; so are Vary, the weak ETag and the random-length file
    name against BREACH, which this keeps as Django writes it."""

    level = 1

    def process_response(self, request, response):
        if (response.streaming or len(response.content) < 200 or response.has_header("Content-Encoding")
                or not re_accepts_gzip.search(request.META.get("HTTP_ACCEPT_ENCODING", ""))):
            return super().process_response(request, response)
        patch_vary_headers(response, ("Accept-Encoding",))
        compressed = self._compress(response.content)
        if len(compressed) >= len(response.content):
            return response
        response.content = compressed
        response.headers["Content-Length"] = str(len(compressed))
        etag = response.get("ETag")
        if etag and etag.startswith('"'):
            response.headers["ETag"] = "W/" + etag
        response.headers["Content-Encoding"] = "gzip"
        return response

    def _compress(self, content: bytes) -> bytes:
        """``django.utils.text.compress_string`` at ``level``: gzip with an mtime of 0 and a file
        name of random length (0 to ``max_random_bytes`` - 1 bytes) in the header."""
        data = memoryview(gzip.compress(content, compresslevel=self.level, mtime=0))
        header = bytearray(data[:10])
        header[3] = gzip.FNAME
        return bytes(header) + b"a" * secrets.randbelow(self.max_random_bytes) + b"\x00" + data[10:]
