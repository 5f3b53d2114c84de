import pytest

from culturecast.core.referer import allowed, parse_allow_list

ALLOW = ["example.cn", "wx.qq.com"]


@pytest.mark.parametrize(
    ("referer", "ok"),
    [
        (None, True),
        ("", True),
        ("https://example.cn/page", True),
        ("https://www.example.cn:8443/a?b", True),
        ("https://mp.wx.qq.com/s/abc", True),
        ("https://notexample.cn/", False),
        ("https://example.cn.evil.com/", False),
        ("https://evil.com/?u=https://example.cn", False),
        ("not a url", False),
        ("https://media.culturecast.cn/r/1", True),
    ],
)
def test_a_referer_is_allowed_by_host_or_parent_host_or_the_site_itself(
    referer: str | None, ok: bool
) -> None:
    assert allowed(referer, "media.culturecast.cn:443", ALLOW) is ok


def test_an_empty_list_allows_every_referer() -> None:
    assert allowed("https://evil.com/", "media.culturecast.cn", [])


def test_the_list_is_stored_as_lower_case_hosts_without_duplicates() -> None:
    assert parse_allow_list([" Example.CN. ", "example.cn", "wx.qq.com"]) == [
        "example.cn",
        "wx.qq.com",
    ]
    for bad in ("https://example.cn", "exa mple.cn", "", "a" * 254, "*.example.cn"):
        with pytest.raises(ValueError, match="not a host name"):
            parse_allow_list([bad])
    with pytest.raises(ValueError, match="at most 32"):
        parse_allow_list([f"h{n}.cn" for n in range(33)])
