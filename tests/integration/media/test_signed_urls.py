"""Signed, expiring preview URLs (``/media/s/<sig>/<expires>/<key>``): a draft's media is
refused without a signature, served to anyone holding one its staff asked for, until it
expires; a forged or altered signature is refused with a clear body."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from culturecast.media import signing
from tests.integration.server.conftest import ADMIN_PASSWORD
from tests.integration.views.conftest import (
    FakeClock,
    Stack,
    add_resource,
    make_tree,
    org_path,
    start_stack,
)

pytestmark = pytest.mark.integration

SECRET = "a-test-signing-secret-0123456789"


@pytest.fixture
async def signed_stack(data_dir: Path) -> AsyncIterator[Stack]:
    async for s in start_stack(data_dir, FakeClock(), CULTURECAST_SIGNING_SECRET=SECRET):
        yield s


async def test_a_draft_is_served_only_through_a_valid_unexpired_signature(
    signed_stack: Stack,
) -> None:
    stack = signed_stack
    admin = await stack.api.login("admin", ADMIN_PASSWORD)
    path = org_path(await make_tree(admin, ["浙江省"]))
    await add_resource(stack, "draft", path, published=False)
    await stack.put_object("vod/draft/720p/index.m3u8")

    status, _ = await stack.api.call("GET", "/media/vod/draft/master.m3u8")
    assert status == 404  # unsigned: as for an unknown key
    # Nobody but its staff gets a preview link.
    status, body = await stack.api.call(
        "POST", "/api/v1/media/signed-urls", {"item_type": "resource", "item_id": "draft"}
    )
    assert status == 401
    status, body = await admin.call(
        "POST",
        "/api/v1/media/signed-urls",
        {"item_type": "resource", "item_id": "draft", "ttl_s": 600},
    )
    assert status == 200, body
    url = body["url"]
    assert url.startswith("/media/s/")
    assert url.endswith("/vod/draft/master.m3u8")
    assert body["expires_at"] == int(stack.clock()) + 600

    status, text = await stack.api.call("GET", url)
    assert status == 200
    assert text.startswith(b"#EXTM3U")
    # The signature covers the item: a rendition's playlist relative to it is served too.
    status, _ = await stack.api.call("GET", url.replace("master.m3u8", "720p/index.m3u8"))
    assert status == 200
    # Another item under the same signature is not.
    forged = url.replace("/vod/draft/", "/vod/other/")
    status, body = await stack.api.call("GET", forged)
    assert (status, body["error"]["code"]) == (403, "bad_signature")  # type: ignore[index]
    assert "signature" in body["error"]["message"]  # type: ignore[index]
    # A later expiry with the old signature is refused.
    expires = url.split("/")[4]
    status, body = await stack.api.call("GET", url.replace(expires, str(int(expires) + 3600)))
    assert (status, body["error"]["code"]) == (403, "bad_signature")  # type: ignore[index]

    stack.clock.advance(601)
    status, body = await stack.api.call("GET", url)
    assert (status, body["error"]["code"]) == (410, "link_expired")  # type: ignore[index]


def test_the_signature_is_what_nginx_secure_link_md5_computes() -> None:
    # nginx: secure_link_md5 "$secure_link_expires$item $secret"; binary MD5, base64url.
    # echo -n '2000000000vod/r1/ s3cret' | openssl md5 -binary | base64 | tr +/ -_ | tr -d =
    assert signing.signature("s3cret", "vod/r1/", 2000000000) == _openssl(
        "2000000000vod/r1/ s3cret"
    )
    assert signing.verify("s3cret", "vod/r1/a.ts", "x", "2000000000", 0) is signing.Verdict.BAD


def _openssl(text: str) -> str:
    import base64
    import subprocess

    digest = subprocess.run(
        ["openssl", "md5", "-binary"], input=text.encode(), capture_output=True, check=True
    ).stdout
    return base64.b64encode(digest).decode().replace("+", "-").replace("/", "_").rstrip("=")
