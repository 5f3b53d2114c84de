"""Reading ``/metrics`` as Prometheus would."""

from __future__ import annotations

from prometheus_client.parser import text_string_to_metric_families

from tests.support.api import Api


async def scrape(api: Api) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    """Every sample of ``/metrics``: (name, sorted labels) → value."""
    status, body = await api.call("GET", "/metrics")
    assert status == 200, body
    text = body.decode()
    return {
        (sample.name, tuple(sorted(sample.labels.items()))): sample.value
        for family in text_string_to_metric_families(text)
        for sample in family.samples
    }


def sample(
    samples: dict[tuple[str, tuple[tuple[str, str], ...]], float], name: str, **labels: str
) -> float | None:
    """One sample's value, or None when it is not reported."""
    return samples.get((name, tuple(sorted(labels.items()))))
