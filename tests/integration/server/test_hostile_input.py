"""Issue 18's probe of the API's input: bodies that are not UTF-8, numbers out of any sane
range, times no calendar holds, invisible titles, free-text categories, and messages in the
wrong language. Each is refused with 400 and a clear code and message, never a 500."""

from __future__ import annotations

import re
from typing import Any

import pytest

from tests.support.api import Api

_CJK = re.compile(r"[\u3000-\u303f\u3400-\u4dbf\u4e00-\u9fff\uff00-\uffef]")


def has_cjk(text: str) -> bool:
    """Chinese characters, CJK punctuation or full-width forms."""
    return _CJK.search(text) is not None


NOT_UTF8 = b'{"username": "\xff\xfeadmin", "password": "x\xc3"}'


async def _org(admin: Api) -> str:
    org = await admin.ok("POST", "/api/v1/orgs", {"name": "浙江省"}, expect=201)
    return str(org["id"])


async def _raw(api: Api, path: str, raw: bytes, content_type: str) -> tuple[int, Any]:
    return await api.call("POST", path, data=raw, headers={"Content-Type": content_type})


# -- 5. bodies that are not UTF-8 ------------------------------------------------------------


@pytest.mark.parametrize(
    ("path", "content_type"),
    [
        ("/api/v1/auth/login", "application/json"),
        ("/api/v1/play", "application/json"),
        ("/api/v1/views/heartbeat", "application/json"),
        ("/api/v1/views/heartbeat", "text/plain"),
        ("/api/v1/views/heartbeat", "text/plain;charset=UTF-8"),
    ],
)
async def test_a_body_that_is_not_utf8_is_a_400_without_signing_in(
    api: Api, path: str, content_type: str
) -> None:
    for raw in (NOT_UTF8, b'{"item_type": "resource", "item_id": "\xe6\x96"}', b'{"\xff": 1}'):
        status, body = await _raw(api, path + "?lang=en", raw, content_type)
        assert (status, body["error"]["code"]) == (400, "invalid_encoding"), (path, raw, body)
        assert body["error"]["message"] == "The body is not valid UTF-8 text."
    status, body = await _raw(api, path + "?lang=zh-CN", NOT_UTF8, content_type)
    assert body["error"]["message"] == "请求体不是有效的 UTF-8 文本。"


async def test_a_body_that_is_not_utf8_is_a_400_for_staff_too(admin: Api) -> None:
    org_id = await _org(admin)
    for path in ("/api/v1/orgs", "/api/v1/users", "/api/v1/live", "/api/v1/series"):
        raw = b'{"name": "\xb2\xe2", "org_id": "' + org_id.encode() + b'", "title": "\xff"}'
        status, body = await _raw(admin, path, raw, "application/json")
        assert (status, body["error"]["code"]) == (400, "invalid_encoding"), path
    assert [o["id"] for o in (await admin.ok("GET", "/api/v1/orgs"))["items"]] == [org_id]


async def test_a_gbk_body_is_refused_by_its_charset(api: Api) -> None:
    status, body = await _raw(
        api,
        "/api/v1/views/heartbeat",
        '{"session_id": "会话"}'.encode("gbk"),
        "text/plain; charset=gbk",
    )
    assert (status, body["error"]["code"]) == (415, "unsupported_media_type")


# -- 6. numbers in queries -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("query", "name", "allowed"),
    [
        ("offset=9223372036854775808", "offset", "0 to 1000000"),
        ("offset=-1", "offset", "0 to 1000000"),
        ("limit=-1", "limit", "1 to 200"),
        ("limit=1000000000", "limit", "1 to 200"),
        ("limit=%EF%BC%91", "limit", "1 to 200"),  # full-width "１", which int() takes
        ("limit=1_0", "limit", "1 to 200"),
        ("limit=ten", "limit", "1 to 200"),
    ],
)
async def test_live_list_refuses_numbers_out_of_range_naming_them(
    api: Api, query: str, name: str, allowed: str
) -> None:
    status, body = await api.call("GET", f"/api/v1/live?{query}&lang=en")
    assert (status, body["error"]["code"]) == (400, "invalid_query"), body
    message = body["error"]["message"]
    assert f"'{name}'" in message
    assert allowed in message
    assert not has_cjk(message)


async def test_every_list_and_report_refuses_numbers_out_of_range(admin: Api) -> None:
    org_id = await _org(admin)
    event = await admin.ok(
        "POST", "/api/v1/live", {"org_id": org_id, "title": "村晚", "published": True}, expect=201
    )
    for path in (
        "/api/v1/resources?offset=9223372036854775808",
        "/api/v1/resources?limit=%EF%BC%95",
        "/api/v1/series?offset=-5",
        "/api/v1/series?limit=99999999999999999999",
        f"/api/v1/stats/orgs/{org_id}?top=１",
        f"/api/v1/stats/orgs/{org_id}?top=1000",
        f"/api/v1/stats/orgs/{org_id}/ranking?limit=0",
        f"/api/v1/stats/orgs/{org_id}/ranking?min_plays=9223372036854775808",
        f"/api/v1/stats/orgs/{org_id}/monthly?top=-1",
        f"/api/v1/stats/orgs/{org_id}?from=２０２４-01-01",
        f"/api/v1/live/{event['id']}/comments?from=0&to=1e400",
        f"/api/v1/live/{event['id']}/comments?from=%EF%BC%91&to=5",
        f"/api/v1/live/{event['id']}/comments?from=inf&to=5",
    ):
        status, body = await admin.call("GET", path)
        assert (status, body["error"]["code"]) == (400, "invalid_query"), (path, body)


# -- 7. times --------------------------------------------------------------------------------


@pytest.mark.parametrize("when", [1e308, -1.0, 0, 946684799, 4102444801, 1e16])
async def test_a_show_scheduled_at_no_sane_time_is_refused(admin: Api, when: float) -> None:
    org_id = await _org(admin)
    body = {"org_id": org_id, "title": "村晚", "scheduled_at": when, "published": True}
    status, error = await admin.call("POST", "/api/v1/live?lang=en", body)
    assert (status, error["error"]["code"]) == (400, "invalid_live_event"), error
    assert "scheduled_at" in error["error"]["message"]
    assert "946684800 to 4102444800" in error["error"]["message"]
    event = await admin.ok(
        "POST", "/api/v1/live", {**body, "scheduled_at": 1_900_000_000}, expect=201
    )
    status, error = await admin.call("PATCH", f"/api/v1/live/{event['id']}", {"scheduled_at": when})
    assert (status, error["error"]["code"]) == (400, "invalid_live_event")
    # The public list (the home page's 即将开播 shelf) holds only the sane one.
    upcoming = await admin.as_user(None).ok("GET", "/api/v1/live?status=scheduled")
    assert [e["scheduled_at"] for e in upcoming["items"]] == [1_900_000_000]


async def test_body_numbers_name_their_range(api: Api) -> None:
    status, body = await api.call(
        "POST",
        "/api/v1/views/heartbeat?lang=en",
        {"session_id": "s", "position_s": 1e300, "seq": 2**70},
    )
    assert (status, body["error"]["code"]) == (400, "invalid_body")
    assert "position_s must be a number from 0 to 2592000" in body["error"]["message"]


# -- 14. languages, invisible text, categories -----------------------------------------------


async def test_the_english_404_of_play_is_english_and_the_chinese_one_chinese(api: Api) -> None:
    body = {"item_type": "resource", "item_id": "no-such-resource"}
    status, en = await api.call("POST", "/api/v1/play?lang=en", body)
    assert (status, en["error"]["code"]) == (404, "not_found")
    assert en["error"]["message"] == "Resource not found."
    _, zh = await api.call("POST", "/api/v1/play?lang=zh-CN", body)
    assert zh["error"]["message"] == "找不到该资源。"
    # The pages' cc_lang cookie chooses too; with no choice both come, zh-CN first.
    _, cookie = await api.call(
        "POST", "/api/v1/play", {**body, "item_type": "live"}, headers={"Cookie": "cc_lang=en"}
    )
    assert cookie["error"]["message"] == "Live event not found."
    _, both = await api.call("POST", "/api/v1/play", body)
    assert both["error"]["message"] == "找不到该资源。 (Resource not found.)"


async def test_errors_of_the_probe_are_english_only_in_english(admin: Api) -> None:
    org_id = await _org(admin)
    calls: list[tuple[str, str, Any]] = [
        ("POST", "/api/v1/play", {"item_type": "live", "item_id": "x"}),
        ("POST", "/api/v1/views/heartbeat", {"session_id": "gone", "position_s": 1}),
        ("POST", "/api/v1/live", {"org_id": org_id, "title": "​"}),
        ("POST", "/api/v1/live", {"org_id": org_id, "title": "村晚", "category": "相声"}),
        ("POST", "/api/v1/live", {"org_id": org_id, "title": "村晚", "scheduled_at": 1e308}),
        ("POST", "/api/v1/orgs", {"name": "\x00"}),
        ("GET", "/api/v1/live/nope", None),
        ("GET", "/api/v1/live?limit=１", None),
        ("GET", f"/api/v1/stats/orgs/{org_id}?from=2024-13-01", None),
        ("GET", "/api/v1/live/nope/comments?from=-1&to=5", None),
        ("GET", "/api/v1/no-such-route", None),
        ("DELETE", "/api/v1/categories", None),
        ("POST", "/api/v1/auth/login", {"username": "nobody", "password": "wrong-password"}),
        ("GET", "/api/v1/auth/me", "anonymous"),
    ]
    for method, path, json in calls:
        who = admin.as_user(None) if json == "anonymous" else admin
        json = None if json == "anonymous" else json
        sep = "&" if "?" in path else "?"
        status, en = await who.call(method, f"{path}{sep}lang=en", json)
        _, zh = await who.call(method, f"{path}{sep}lang=zh-CN", json)
        assert 400 <= status < 500, (path, en)
        assert not has_cjk(en["error"]["message"]), (path, en)
        assert has_cjk(zh["error"]["message"]), (path, zh)
        assert en["error"]["message"] not in zh["error"]["message"], (path, zh)


@pytest.mark.parametrize(
    "title", ["\x00", "\x00\x00", "\u200b\u200b", "\u200d\ufeff\u2060", "\u3000 \u3164", "村\x00晚"]
)
async def test_titles_and_names_that_show_nothing_or_hold_nul_are_refused(
    admin: Api, title: str
) -> None:
    org_id = await _org(admin)
    for method, path, body, code in [
        ("POST", "/api/v1/live", {"org_id": org_id, "title": title}, "invalid_live_event"),
        ("POST", "/api/v1/series", {"org_id": org_id, "title": title}, "invalid_body"),
        ("POST", "/api/v1/orgs", {"name": title}, "invalid_body"),
        ("PATCH", f"/api/v1/orgs/{org_id}", {"name": title}, "invalid_body"),
    ]:
        status, error = await admin.call(method, path, body)
        assert (status, error["error"]["code"]) == (400, code), (path, title, error)
    assert (await admin.ok("GET", "/api/v1/live"))["items"] == []
    assert (await admin.ok("GET", "/api/v1/series"))["items"] == []
    assert [o["name"] for o in (await admin.ok("GET", "/api/v1/orgs"))["items"]] == ["浙江省"]


async def test_chinese_text_is_kept_as_typed(admin: Api) -> None:
    org_id = await _org(admin)
    title = "越剧《梁祝》\u200d选段 · 十八相送"
    event = await admin.ok("POST", "/api/v1/live", {"org_id": org_id, "title": title}, expect=201)
    assert event["title"] == title


async def test_a_live_event_category_is_one_of_the_listed_categories(admin: Api) -> None:
    org_id = await _org(admin)
    listed = [c["code"] for c in (await admin.ok("GET", "/api/v1/categories"))["items"]]
    status, body = await admin.call(
        "POST", "/api/v1/live", {"org_id": org_id, "title": "村晚", "category": "whatever"}
    )
    assert (status, body["error"]["code"]) == (400, "invalid_category")
    event = await admin.ok(
        "POST", "/api/v1/live", {"org_id": org_id, "title": "村晚", "category": "戏曲"}, expect=201
    )
    assert event["category"] == "opera"
    assert event["category"] in listed
    status, body = await admin.call("PATCH", f"/api/v1/live/{event['id']}", {"category": "x"})
    assert (status, body["error"]["code"]) == (400, "invalid_category")
    assert (await admin.ok("GET", f"/api/v1/live/{event['id']}"))["category"] == "opera"


async def test_every_body_number_of_the_api_has_a_range(api: Api) -> None:
    """A number field without bounds lets a client overflow the database (SQLite int64)."""
    doc = await api.ok("GET", "/api/v1/openapi.json")
    schemas = doc["components"]["schemas"]
    todo = [
        op["requestBody"]["content"]["application/json"]["schema"]["$ref"]
        for path in doc["paths"].values()
        for op in path.values()
        if "application/json" in op.get("requestBody", {}).get("content", {})
    ]
    seen: set[str] = set()
    unbounded: list[tuple[str, str]] = []
    while todo:
        name = todo.pop().rsplit("/", 1)[1]
        if name in seen:
            continue
        seen.add(name)
        for field, spec in schemas[name].get("properties", {}).items():
            for alt in spec.get("anyOf", [spec]):
                alt = alt.get("items", alt)
                if "$ref" in alt:
                    todo.append(alt["$ref"])
                elif alt.get("type") in ("integer", "number") and not (
                    "minimum" in alt and "maximum" in alt
                ):
                    unbounded.append((name, field))
    assert "Beat" in seen
    assert unbounded == []
