"""Pages and API answers go out gzip-compressed (governance.middleware.FastGZipMiddleware: zlib
level 1, Django's header with a random-length file name against BREACH); what a client without
gzip gets is the same content uncompressed, and streamed downloads are compressed too."""

import gzip
import zlib

import pytest

pytestmark = pytest.mark.django_db
GZIP = {"HTTP_ACCEPT_ENCODING": "gzip, deflate, br"}


def _file_name_length(body: bytes) -> int:
    assert body[:2] == b"\x1f\x8b" and body[3] & gzip.FNAME
    return body.index(b"\x00", 10) - 10


def test_api_answer_is_gzip_at_level_one_with_a_random_length_file_name(api, cast, org):
    client = api(cast["admin"])
    plain = client.get("/api/v1/org-units/?page_size=100")
    assert plain.status_code == 200 and "Content-Encoding" not in plain and len(plain.content) > 200
    lengths = set()
    for _ in range(12):
        packed = client.get("/api/v1/org-units/?page_size=100", **GZIP)
        assert packed["Content-Encoding"] == "gzip" and "Accept-Encoding" in packed["Vary"]
        assert int(packed["Content-Length"]) == len(packed.content) < len(plain.content)
        assert gzip.decompress(packed.content) == plain.content
        name = _file_name_length(packed.content)
        lengths.add(name)
        deflated = packed.content[10 + name + 1:-8]  # the deflate stream between header and trailer
        level_one = zlib.compressobj(1, zlib.DEFLATED, -zlib.MAX_WBITS)
        assert deflated == level_one.compress(plain.content) + level_one.flush()
    assert len(lengths) > 1  # the header's length varies from answer to answer (BREACH)


def test_short_answers_and_clients_without_gzip_get_plain_bytes(api, cast, org):
    client = api(cast["manager_de"])
    short = client.get("/api/v1/org-units/", **GZIP)  # 142 bytes: not worth compressing
    assert short.status_code == 200 and "Content-Encoding" not in short
    identity = client.get("/api/v1/org-units/?page_size=100", HTTP_ACCEPT_ENCODING="identity")
    assert "Content-Encoding" not in identity and identity.json()["results"]


def test_streamed_csv_download_is_compressed_too(client, cast, org):
    client.force_login(cast["manager_de"])
    plain = b"".join(client.get("/kpis/measurements/export.csv").streaming_content)
    packed = client.get("/kpis/measurements/export.csv", **GZIP)
    assert packed["Content-Encoding"] == "gzip"
    assert gzip.decompress(b"".join(packed.streaming_content)) == plain
