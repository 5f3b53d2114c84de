"""A show's media time against the clock (``core/mediatime.py``): a slow encoder's comments
map inside the media it made, and the inverse turns a replay window into a clock window."""

from __future__ import annotations

import math

from culturecast.core.mediatime import media_at, wall_at, with_start

START = 1_000.0
# An encoder at half speed: 2 s of media every 4 s of clock.
HALF = [(START + 4 * n, 2.0 * n) for n in range(1, 6)]


def test_a_slow_encoders_clock_time_maps_to_the_media_it_had_made() -> None:
    points = with_start(HALF, START)
    assert media_at(points, START) == 0.0
    assert media_at(points, START + 6) == 3.0
    assert media_at(points, START + 20) == 10.0
    # After the last segment: the end of the media, never past it.
    assert media_at(points, START + 500) == 10.0
    assert media_at(points, START - 5) == 0.0


def test_the_inverse_gives_the_clock_window_of_a_media_window() -> None:
    points = with_start(HALF, START)
    assert wall_at(points, 0.0) == START
    assert wall_at(points, 3.0) == START + 6
    assert math.isinf(wall_at(points, 10.5))
    for media in (0.5, 2.0, 7.25, 10.0):
        assert media_at(points, wall_at(points, media)) == media


def test_points_that_go_back_in_time_or_media_are_left_out() -> None:
    points = with_start(
        [(START + 4, 2.0), (START + 3, 3.0), (START + 8, 1.0), (START + 8, 4.0)], START
    )
    assert points == [(START, 0.0), (START + 4, 2.0), (START + 8, 4.0)]
    # A pause (the publisher reconnecting): media stands still while the clock runs.
    paused = with_start([(START + 2, 2.0), (START + 30, 2.0), (START + 32, 4.0)], START)
    assert media_at(paused, START + 20) == 2.0
    assert wall_at(paused, 2.0) == START + 2
