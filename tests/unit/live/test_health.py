from __future__ import annotations

from culturecast.live.health import HealthMeter


def test_bitrate_fps_and_keyframe_interval_over_the_window() -> None:
    meter = HealthMeter(window_s=5.0)
    for i in range(150):  # 5 s at 30 fps, 5000 bytes per frame, keyframe every 60
        now = 100.0 + i / 30
        meter.on_bytes(5000, now)
        meter.on_tag(9, i * 1000 // 30, i % 60 == 0, now)
    snap = meter.snapshot(100.0 + 149 / 30)
    assert snap["bitrate_kbps"] == 1200.0
    assert snap["fps"] == 30.0
    assert snap["keyframe_interval_s"] == 2.0
    assert snap["late_s"] < 0.1
    assert snap["late_events"] == 0


def test_old_samples_leave_the_window() -> None:
    meter = HealthMeter(window_s=5.0)
    meter.on_bytes(10_000, 0.0)
    assert meter.bitrate_kbps(10.0) == 0.0


def test_late_media_and_backward_timestamps_are_counted() -> None:
    meter = HealthMeter()
    meter.on_tag(9, 0, True, 0.0)
    meter.on_tag(9, 1000, False, 4.0)  # 1 s of media took 4 s to arrive
    meter.on_tag(9, 500, False, 4.1)
    snap = meter.snapshot(4.1)
    assert snap["late_events"] == 1
    assert snap["late_s"] > 2.0
    assert snap["timestamp_jumps"] == 1


def test_transcoder_drops_sum_across_runs() -> None:
    meter = HealthMeter()
    meter.on_progress(1.0, 30.0, 5)
    meter.on_progress(0.9, 28.0, 8)
    meter.on_transcoder_restart()
    meter.on_progress(1.0, 30.0, 2)
    snap = meter.snapshot(0.0)
    assert snap["transcoder_dropped_frames"] == 10
    assert snap["transcoder_restarts"] == 1
    assert snap["transcoder_speed"] == 1.0
