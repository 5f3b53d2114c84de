"""Covers (issue 14): the type read from the picture's own bytes, the limits, the key."""

from __future__ import annotations

import pytest

from culturecast.core.covers import (
    MAX_COVER_BYTES,
    CoverEmpty,
    CoverImage,
    CoverNotAnImage,
    CoverTooLarge,
    CoverTypeMismatch,
    CoverTypeUnsupported,
    check_cover,
    cover_key,
    is_cover_key,
    sniff,
)

PNG = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + b"\x00" * 16
JPEG = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00" + b"\x00" * 16
WEBP = b"RIFF\x50\x00\x00\x00WEBPVP8 " + b"\x00" * 16


@pytest.mark.parametrize(
    ("data", "kind"),
    [
        (PNG, "image/png"),
        (JPEG, "image/jpeg"),
        (WEBP, "image/webp"),
        (b"GIF89a" + b"\x00" * 16, None),
        (b"<html><body>not a picture</body></html>", None),
        (b"RIFF\x50\x00\x00\x00WAVEfmt ", None),  # a RIFF that is audio, not WebP
        (b"\xff\xd8", None),  # too short to be a JPEG's SOI and a marker
        (b"", None),
    ],
)
def test_sniff_reads_the_type_from_the_first_bytes(data: bytes, kind: str | None) -> None:
    assert sniff(data) == kind


@pytest.mark.parametrize(
    ("data", "declared"),
    [(PNG, "image/png"), (JPEG, "image/jpeg"), (WEBP, "image/webp"), (PNG, "Image/PNG; q=1")],
)
def test_a_picture_of_its_declared_type_is_taken(data: bytes, declared: str) -> None:
    image = check_cover(data, declared)
    assert image.data == data
    assert image.content_type == declared.split(";")[0].lower()
    assert len(image.digest) == 64


def test_an_empty_body_is_refused_400() -> None:
    with pytest.raises(CoverEmpty) as caught:
        check_cover(b"", "image/png")
    assert caught.value.status == 400
    assert caught.value.code == "cover_empty"


def test_a_picture_over_5_mb_is_refused_413_naming_the_limit() -> None:
    too_big = PNG + b"\x00" * (MAX_COVER_BYTES - len(PNG) + 1)
    with pytest.raises(CoverTooLarge) as caught:
        check_cover(too_big, "image/png")
    assert caught.value.status == 413
    assert caught.value.message_in("zh-CN") == "封面图片不能超过 5 MB。"
    assert caught.value.message_in("en") == "A cover image may be at most 5 MB."
    # A body the server stopped reading (None) is the same refusal.
    with pytest.raises(CoverTooLarge):
        check_cover(None, "image/png")


def test_exactly_5_mb_is_still_taken() -> None:
    data = PNG + b"\x00" * (MAX_COVER_BYTES - len(PNG))
    assert check_cover(data, "image/png").content_type == "image/png"


@pytest.mark.parametrize("declared", ["image/gif", "text/html", "application/octet-stream", None])
def test_a_declared_type_that_is_not_jpeg_png_or_webp_is_refused_415(declared: str | None) -> None:
    with pytest.raises(CoverTypeUnsupported) as caught:
        check_cover(PNG, declared)
    assert caught.value.status == 415
    assert "JPEG、PNG 或 WebP" in caught.value.message_in("zh-CN")
    assert (declared or "an undeclared type") in caught.value.message_in("en")


def test_bytes_that_are_no_picture_are_refused_415() -> None:
    with pytest.raises(CoverNotAnImage) as caught:
        check_cover(b"<html>hello</html>", "image/jpeg")
    assert caught.value.status == 415
    assert caught.value.code == "cover_not_an_image"


def test_a_png_declared_as_jpeg_is_refused_400_naming_both() -> None:
    with pytest.raises(CoverTypeMismatch) as caught:
        check_cover(PNG, "image/jpeg")
    assert caught.value.status == 400
    assert caught.value.message_in("zh-CN") == "图片的实际格式是 PNG，与声明的 image/jpeg 不符。"
    english = "The picture is a PNG image, not image/jpeg as declared."
    assert caught.value.message_in("en") == english


def test_the_key_holds_the_content_hash_and_the_extension() -> None:
    red = check_cover(PNG, "image/png")
    blue = check_cover(PNG + b"\x01", "image/png")
    key = cover_key("vod/r1/", red)
    assert key.startswith("vod/r1/cover-")
    assert key.endswith(".png")
    assert key == cover_key("vod/r1/", CoverImage(PNG, "image/png", red.digest))
    assert cover_key("vod/r1/", blue) != key  # a new picture is a new URL
    assert cover_key("series/s1/", check_cover(JPEG, "image/jpeg")).endswith(".jpg")
    assert is_cover_key("vod/r1/", key)
    assert not is_cover_key("vod/r1/", "vod/r1/poster.jpg")
    assert not is_cover_key("vod/r1/", None)
    with pytest.raises(ValueError, match="ends with '/'"):
        cover_key("vod/r1", red)
