"""防盗链: an organization's optional referer allow-list for its media (DESIGN.md § Delivery).

A media request whose ``Referer`` names a page on another site is refused unless that site's
host is on the list of the item's organization: an entry allows its host and every host under
it (``example.cn`` allows ``www.example.cn``). No ``Referer`` at all (TV boxes, native apps,
players that send none, privacy settings) is allowed, and so are pages of the site serving the
media. An empty list allows every referer. No I/O here.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from urllib.parse import urlsplit

from culturecast.core.errors import Forbidden, Sentence

MAX_ENTRIES = 32
MAX_HOST_LENGTH = 253
_HOST = re.compile(
    r"(?=.{1,253}$)([a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?)(\.[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?)*"
)


class RefererRefused(Forbidden):
    code = "referer_refused"


REFUSED = Sentence(
    "此内容不允许在该网站上播放（防盗链）。请在本平台或机构授权的网站上观看。",
    "This media may not be played on that site (referer allow-list); watch it on this "
    "platform or on a site the organization allows.",
)


def parse_allow_list(entries: Sequence[str]) -> list[str]:
    """The list as stored: lower-cased host names, duplicates dropped, order kept.
    ``ValueError`` names the first entry that is not a host name (``www.example.cn``)."""
    if len(entries) > MAX_ENTRIES:
        raise ValueError(f"at most {MAX_ENTRIES} referer hosts")
    out: list[str] = []
    for raw in entries:
        host = raw.strip().lower().rstrip(".")
        if not _HOST.fullmatch(host):
            raise ValueError(f"not a host name: {raw!r}")
        if host not in out:
            out.append(host)
    return out


def host_of(url: str) -> str | None:
    """The host of a ``Referer`` URL, lower-cased, or None when it names none."""
    try:
        host = urlsplit(url.strip()).hostname
    except ValueError:
        return None
    return host.rstrip(".") if host else None


def _own(host_header: str | None) -> str | None:
    if not host_header:
        return None
    return host_of(f"//{host_header}")


def allowed(referer: str | None, host_header: str | None, allow: Sequence[str]) -> bool:
    """Whether a request with this ``Referer`` (to the site named by ``Host``) may have media
    of an organization allowing ``allow``."""
    if not allow or not referer:
        return True
    host = host_of(referer)
    if host is None:
        return False
    if host == _own(host_header):
        return True
    return any(host == entry or host.endswith("." + entry) for entry in allow)
