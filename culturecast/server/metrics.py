"""Prometheus metrics, one registry per application (no process globals)."""

from __future__ import annotations

from collections.abc import Iterator

from aiohttp import web
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, Counter, Histogram
from prometheus_client.core import CounterMetricFamily, Metric
from prometheus_client.exposition import generate_latest
from prometheus_client.registry import Collector

MEDIA_PATH_PREFIX = "/media/"
"""Requests under this path take the media fast path: counted per status, not timed or
access-logged per request (DESIGN.md § Delivery)."""

_METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})
"""Methods counted under their own name; any other (a client can send any token) is "OTHER",
so that made-up methods cannot grow the number of series without bound."""


class Metrics:
    """The application's metrics."""

    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        self.requests = Counter(
            "culturecast_http_requests",
            "HTTP requests served",
            ["method", "route", "status"],
            registry=self.registry,
        )
        self.latency = Histogram(
            "culturecast_http_request_seconds",
            "HTTP request latency",
            ["route"],
            registry=self.registry,
            buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5),
        )
        self.logins = Counter(
            "culturecast_logins", "Login attempts", ["outcome"], registry=self.registry
        )
        # The labelled children per (method, route, status): ``labels()`` validates and looks
        # them up under a lock on every call, which is a measurable part of a cheap request
        # (bench/bench_heartbeats.py). Bounded like the series themselves: routes are the
        # router's templates and methods outside _METHODS share one label.
        self._request_children: dict[tuple[str, str, int], tuple[Counter, Histogram]] = {}
        self._media: dict[int, int] = {}
        self.registry.register(_MediaRequests(self._media))

    def observe_request(self, method: str, route: str, status: int, seconds: float) -> None:
        if method not in _METHODS:
            method = "OTHER"
        key = (method, route, status)
        children = self._request_children.get(key)
        if children is None:
            children = (
                self.requests.labels(method, route, str(status)),
                self.latency.labels(route),
            )
            self._request_children[key] = children
        children[0].inc()
        children[1].observe(seconds)

    def count_media(self, status: int) -> None:
        """One ``/media`` request: an integer increment, read at each scrape."""
        self._media[status] = self._media.get(status, 0) + 1

    def add_collector(self, collector: Collector) -> None:
        """Report a feature's figures, read from it at each scrape (nothing on hot paths)."""
        self.registry.register(collector)

    def render(self) -> web.Response:
        resp = web.Response(body=generate_latest(self.registry))
        resp.content_type = CONTENT_TYPE_LATEST.split(";")[0]
        return resp


class _MediaRequests(Collector):
    """``culturecast_media_requests_total{status}``: the fast path's plain counts."""

    def __init__(self, counts: dict[int, int]) -> None:
        self._counts = counts

    def collect(self) -> Iterator[Metric]:
        family = CounterMetricFamily(
            "culturecast_media_requests", "Media (/media) requests served", labels=["status"]
        )
        for status, count in sorted(self._counts.items()):
            family.add_metric([str(status)], count)
        yield family
