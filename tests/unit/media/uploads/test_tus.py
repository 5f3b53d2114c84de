"""tus 1.0 header parsing (https://tus.io/protocols/resumable-upload)."""

from __future__ import annotations

import pytest

from culturecast.media.uploads import tus


def test_metadata_round_trips_including_chinese_and_empty_values() -> None:
    meta = {"filename": "三国演义 第1回.mp3", "filetype": "audio/mpeg", "is_draft": ""}
    header = tus.format_metadata(meta)
    assert "is_draft," not in header
    assert tus.parse_metadata(header) == meta


def test_metadata_example_from_the_spec() -> None:
    header = "filename d29ybGRfZG9taW5hdGlvbl9wbGFuLnBkZg==,is_confidential"
    assert tus.parse_metadata(header) == {
        "filename": "world_domination_plan.pdf",
        "is_confidential": "",
    }


@pytest.mark.parametrize(
    "header",
    ["filename not-base64!", "a YQ==,a Yg==", "a YQ== extra", ",", "a /w==", "filename YQBi"],
)
def test_bad_metadata_is_refused(header: str) -> None:
    with pytest.raises(tus.TusError):
        tus.parse_metadata(header)


@pytest.mark.parametrize("value", [None, "", "-1", "1.5", "abc", "1e3", "99999999999999999999"])
def test_lengths_and_offsets_are_non_negative_integers(value: str | None) -> None:
    with pytest.raises(tus.TusError):
        tus.parse_non_negative("Upload-Length", value)


def test_length_parses() -> None:
    assert tus.parse_non_negative("Upload-Offset", " 0 ") == 0
    assert tus.parse_non_negative("Upload-Length", "21474836480") == 20 * 1024**3


def test_version_is_required() -> None:
    tus.check_version({"Tus-Resumable": "1.0.0"})
    for headers in ({}, {"Tus-Resumable": "0.2.2"}):
        with pytest.raises(tus.TusError, match=r"1\.0\.0"):
            tus.check_version(headers)


def test_options_headers() -> None:
    headers = tus.options_headers(1000)
    assert headers["Tus-Version"] == "1.0.0"
    assert headers["Tus-Extension"] == "creation,termination,expiration"
    assert headers["Tus-Max-Size"] == "1000"


def test_expires_is_an_http_date() -> None:
    assert tus.format_expires(0) == "Thu, 01 Jan 1970 00:00:00 GMT"


@pytest.mark.parametrize(
    ("filename", "expected"),
    [
        ("show.MP4", "show.mp4"),
        ("三国演义 第1回.mp3", "1.mp3"),
        ("三国演义.mp3", "original.mp3"),
        ("../../etc/passwd", "passwd"),
        ("C:\\videos\\Opéra final.mkv", "Opera_final.mkv"),
        (".hidden", "original.hidden"),
        ("", "original"),
        (None, "original"),
        ("a" * 300 + ".mp4", "a" * 80 + ".mp4"),
    ],
)
def test_safe_name_is_a_valid_key_segment(filename: str | None, expected: str) -> None:
    from culturecast.storage.objects.keys import check_key

    name = tus.safe_name(filename)
    assert name == expected
    check_key(f"originals/x/{name}")
