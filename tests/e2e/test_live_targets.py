"""Push targets (转推) end to end, with real receiving platforms.

One show on a standalone CultureCast is pushed to nginx-rtmp (Debian's module, configured
here, recording what it receives) and to a second CultureCast process (its own data dir and
ports, our stream key as the target key), plus a target with a wrong key and one at a closed
port. Both real receivers get a decodable stream; killing nginx mid-show leaves the show and
the other target live while the nginx target goes ``retrying`` and comes back ``live`` by
itself when nginx is back; the wrong key ends ``failed`` with ``key_rejected``, the closed
port keeps ``retrying`` with ``connection_refused``, a receiver that hangs times out without
holding anything up; a target removed on air stops and one added on air starts at once;
stopping the event stops every push.
"""

from __future__ import annotations

import asyncio
import socket
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import aiohttp
import pytest

from tests.e2e.test_live import eventually, ffprobe
from tests.support.api import Api
from tests.support.engines import free_port
from tests.support.live import Publisher, ffmpeg_publish_command
from tests.support.nginx_rtmp import RTMP_MODULE, NginxRtmp
from tests.support.product import ADMIN_PASSWORD, Standalone

pytestmark = pytest.mark.skipif(
    not RTMP_MODULE.exists(), reason="nginx with libnginx-mod-rtmp (scripts/bootstrap --dev)"
)


@pytest.fixture
def nginx(tmp_path: Path) -> Iterator[NginxRtmp]:
    server = NginxRtmp(tmp_path / "nginx").start()
    yield server
    server.kill()


@pytest.fixture
def receiver(tmp_path: Path) -> Iterator[Standalone]:
    """The second CultureCast, a province receiving the county's show."""
    (tmp_path / "b").mkdir()
    product = Standalone(tmp_path / "b").start()
    yield product
    if product.process and product.process.popen and product.process.popen.poll() is None:
        product.stop()


async def targets_of(admin: Api, event_id: str) -> dict[str, dict[str, Any]]:
    listed = await admin.ok("GET", f"/api/v1/live/{event_id}/targets")
    return {t["name"]: t for t in listed["items"]}


async def test_a_show_is_pushed_to_nginx_rtmp_and_another_culturecast(
    standalone: Standalone,
    receiver: Standalone,
    nginx: NginxRtmp,
    http: aiohttp.ClientSession,
    tmp_path: Path,
) -> None:
    publisher: Publisher | None = None
    stalled = socket.create_server(("127.0.0.1", 0))  # listens, never accepts
    try:
        admin = await Api(http, standalone.url).login("admin", ADMIN_PASSWORD)
        org = await admin.ok("POST", "/api/v1/orgs", {"name": "安吉县"}, expect=201)
        event = await admin.ok(
            "POST", "/api/v1/live", {"org_id": org["id"], "title": "村晚", "published": True}, 201
        )
        b_admin = await Api(http, receiver.url).login("admin", ADMIN_PASSWORD)
        b_org = await b_admin.ok("POST", "/api/v1/orgs", {"name": "浙江省"}, expect=201)
        b_body = {"org_id": b_org["id"], "title": "共享直播", "published": True}
        b_event = await b_admin.ok("POST", "/api/v1/live", b_body, expect=201)
        path = f"/api/v1/live/{event['id']}/targets"
        a_rtmp = f"rtmp://127.0.0.1:{receiver.rtmp_port}/live"
        for body in [
            {"name": "nginx", "url": f"rtmp://127.0.0.1:{nginx.port}/live", "key": "show1"},
            {"name": "省平台", "url": a_rtmp, "key": b_event["stream_key"]},
            {"name": "wrong-key", "url": a_rtmp, "key": "not-the-key-" + "x" * 20},
            {"name": "closed", "url": f"rtmp://127.0.0.1:{free_port()}/live", "key": "k"},
            # Accepts the connection and never answers: a receiver that hangs.
            {"name": "stalled", "url": f"rtmp://127.0.0.1:{stalled.getsockname()[1]}/live"},
        ]:
            await admin.ok("POST", path, body, expect=201)
        assert {t["state"] for t in (await targets_of(admin, event["id"])).values()} == {"idle"}

        url = f"rtmp://127.0.0.1:{standalone.rtmp_port}/live/{event['stream_key']}"
        publisher = Publisher(ffmpeg_publish_command(url)).start()

        async def both_live() -> dict[str, dict[str, Any]] | None:
            targets = await targets_of(admin, event["id"])
            live = targets["nginx"]["state"] == targets["省平台"]["state"] == "live"
            return targets if live and targets["省平台"]["bytes_sent"] > 100_000 else None

        targets = await eventually(both_live, 60, "both receivers live", every=0.5)
        assert "key" not in targets["省平台"]
        assert b_event["stream_key"] not in str(targets)

        # The wrong key: rejected three times (1 + 2 s of backoff), then failed for good.
        async def wrong_key_failed() -> dict[str, Any] | None:
            t = (await targets_of(admin, event["id"]))["wrong-key"]
            return t if t["state"] == "failed" else None

        failed = await eventually(wrong_key_failed, 30, "the wrong key failed", every=0.5)
        assert failed["error"]["code"] == "key_rejected"
        assert "Stream key rejected" in failed["error"]["en"]
        assert "推流码" in failed["error"]["zh"]
        closed = (await targets_of(admin, event["id"]))["closed"]
        assert closed["state"] in ("retrying", "connecting")
        assert closed["error"]["code"] == "connection_refused"
        assert "Connection refused by the target address" in closed["error"]["en"]

        # Removed on air: its push stops (it leaves the list and the process's metrics).
        status, _ = await admin.call("DELETE", f"{path}/{closed['id']}")
        assert status == 204
        assert "closed" not in await targets_of(admin, event["id"])

        # The second CultureCast took our copy as its publisher: its show is live and plays.
        b_live = await b_admin.ok("GET", f"/api/v1/live/{b_event['id']}")
        assert b_live["status"] == "live"
        master = receiver.workdir / "data" / "objects" / "live" / b_event["id"] / "master.m3u8"
        await eventually(lambda: asyncio.sleep(0, master.exists()), 30, "the receiver's master")
        probed = ffprobe(master)
        assert {s["codec_type"] for s in probed["streams"]} >= {"video", "audio"}

        # nginx dies mid-show: the show and the other target go on; nginx's target retries.
        nginx.kill()
        sent_before = (await targets_of(admin, event["id"]))["省平台"]["bytes_sent"]

        async def nginx_retrying() -> dict[str, Any] | None:
            t = (await targets_of(admin, event["id"]))["nginx"]
            return t if t["state"] == "retrying" else None

        retrying = await eventually(nginx_retrying, 30, "the nginx target retrying", every=0.3)
        assert retrying["error"]["code"] in ("connection_dropped", "connection_refused")
        assert (await admin.ok("GET", f"/api/v1/live/{event['id']}"))["status"] == "live"
        after = await targets_of(admin, event["id"])
        assert after["省平台"]["state"] == "live"
        await asyncio.sleep(3)  # let nginx stay down across a retry or two
        after = await targets_of(admin, event["id"])
        assert after["省平台"]["state"] == "live"
        assert after["省平台"]["bytes_sent"] > sent_before
        assert after["nginx"]["state"] in ("retrying", "connecting")

        nginx.start()

        async def nginx_back() -> dict[str, Any] | None:
            t = (await targets_of(admin, event["id"]))["nginx"]
            return t if t["state"] == "live" else None

        back = await eventually(nginx_back, 40, "the nginx target live again", every=0.5)
        assert back["bytes_sent"] > retrying["bytes_sent"]
        await asyncio.sleep(3)  # a few seconds in the new recording

        # Added on air: it starts at once, from the current GOP.
        second = {"name": "nginx-2", "url": f"rtmp://127.0.0.1:{nginx.port}/live", "key": "show2"}
        await admin.ok("POST", path, second, expect=201)

        async def second_live() -> dict[str, Any] | None:
            t = (await targets_of(admin, event["id"]))["nginx-2"]
            return t if t["state"] == "live" and t["bytes_sent"] > 50_000 else None

        await eventually(second_live, 30, "a target added on air live", every=0.5)

        async with http.get(standalone.url + "/metrics") as resp:
            metrics = await resp.text()
        assert "culturecast_live_target_bytes_sent" in metrics
        target_id = back["id"]
        lines = [line for line in metrics.splitlines() if f'target_id="{target_id}"' in line]
        assert any('state="live"' in line and line.endswith(" 1.0") for line in lines), lines
        assert closed["id"] not in metrics

        # nginx recorded both stretches (before the kill and after); each is decodable.
        recordings = [p for p in nginx.recordings() if p.name.startswith("show1")]
        assert len(recordings) >= 2, recordings
        assert any(p.name.startswith("show2") for p in nginx.recordings())
        for recording in (recordings[0], recordings[-1]):
            probed = ffprobe(recording)
            kinds = {s["codec_type"] for s in probed["streams"]}
            assert kinds >= {"video", "audio"}, recording
            assert float(probed["format"]["duration"]) > 1.0

        # The hanging receiver never held anything up; its push timed out (15 s) and retries.
        async def stalled_timed_out() -> dict[str, Any] | None:
            t = (await targets_of(admin, event["id"]))["stalled"]
            return t if t["error"] and t["state"] != "live" else None

        hung = await eventually(stalled_timed_out, 40, "the hanging receiver timed out")
        assert hung["error"]["code"] == "timeout", hung["error"]

        # The event ends: every push stops.
        await admin.ok("POST", f"/api/v1/live/{event['id']}/stop")

        async def all_idle() -> dict[str, dict[str, Any]] | None:
            targets = await targets_of(admin, event["id"])
            return targets if {t["state"] for t in targets.values()} == {"idle"} else None

        await eventually(all_idle, 30, "every target idle")
    except BaseException:
        for product in (standalone, receiver):
            assert product.process is not None
            print(product.process.log[-8000:])
        print((nginx.dir / "error.log").read_text(errors="replace")[-3000:])
        raise
    finally:
        stalled.close()
        if publisher is not None:
            publisher.kill()
