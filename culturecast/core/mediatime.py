"""A live show's media time against the wall clock, so its replay places comments by media.

While a show is live the ingest notes, at each segment it lists, the wall-clock time and the
seconds of media published by then: a *timeline* of ``(wall, media)`` points, both never
decreasing. On a healthy encoder media keeps pace with the clock; on one slower than real time
(a weak PC, a starved transcoder) it falls behind, and a comment placed by its wall-clock
offset lands past the end of the replay and is never shown. :func:`media_at` maps a wall
time to the media time the show had reached (linear between points, never past the media
that exists); :func:`wall_at` is its inverse, for turning a window of the replay into the
wall-clock window of the comments sent during it. Pure, no I/O.
"""

from __future__ import annotations

import bisect
from collections.abc import Sequence

type Timeline = Sequence[tuple[float, float]]
"""``(wall epoch seconds, media seconds)`` points, in order; the show's start is ``(start, 0)``."""


def with_start(timeline: Timeline, started_at: float) -> list[tuple[float, float]]:
    """The points from ``(started_at, 0)`` on, each non-decreasing in both times."""
    points = [(started_at, 0.0)]
    for wall, media in timeline:
        if wall >= points[-1][0] and media >= points[-1][1]:
            points.append((float(wall), float(media)))
    return points


def media_at(points: Sequence[tuple[float, float]], wall: float) -> float:
    """The media time the show had reached at ``wall`` (``points`` from :func:`with_start`)."""
    walls = [w for w, _ in points]
    i = bisect.bisect_right(walls, wall)
    if i == 0:
        return 0.0
    if i == len(points):
        return points[-1][1]
    (w0, m0), (w1, m1) = points[i - 1], points[i]
    return m0 + (m1 - m0) * (wall - w0) / (w1 - w0) if w1 > w0 else m1


def wall_at(points: Sequence[tuple[float, float]], media: float) -> float:
    """The first wall time at which the show had reached ``media``; past the media that
    exists, the end of time (every later comment belongs to the replay's last moment)."""
    medias = [m for _, m in points]
    i = bisect.bisect_left(medias, media)
    if i == 0:
        return points[0][0]
    if i == len(points):
        return float("inf")
    (w0, m0), (w1, m1) = points[i - 1], points[i]
    return w0 + (w1 - w0) * (media - m0) / (m1 - m0)
