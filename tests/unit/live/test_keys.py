from __future__ import annotations

from culturecast.live.keys import hash_key, issue_key, key_matches, looks_like_key


def test_issued_key_is_43_urlsafe_characters_and_stored_only_as_its_sha256() -> None:
    key = issue_key()
    assert looks_like_key(key.plain)
    assert key.digest == hash_key(key.plain)
    assert key.plain not in key.digest
    assert len(key.digest) == 64


def test_every_key_is_different() -> None:
    assert len({issue_key().plain for _ in range(200)}) == 200


def test_key_matches_only_its_own_digest() -> None:
    a, b = issue_key(), issue_key()
    assert key_matches(a.plain, a.digest)
    assert not key_matches(b.plain, a.digest)
    assert not key_matches(a.plain[:-1] + ("A" if a.plain[-1] != "A" else "B"), a.digest)


def test_shape_check_refuses_urls_and_odd_lengths() -> None:
    assert not looks_like_key("")
    assert not looks_like_key("x" * 42)
    assert not looks_like_key("../" + "x" * 40)
    assert not looks_like_key("密" * 43)
