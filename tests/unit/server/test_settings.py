"""Settings are read once, validated, and a bad one names its variable."""

from __future__ import annotations

from pathlib import Path

import pytest

from culturecast.server.settings import SettingsError, load_settings, prepare_data_dir


def test_defaults_select_embedded_engines(tmp_path: Path) -> None:
    s = load_settings({"CULTURECAST_DATA_DIR": str(tmp_path)})
    assert s.http_port == 8080
    assert s.rtmp_port == 1935
    assert s.engines == {"database": "sqlite", "objects": "local", "counters": "memory"}
    assert s.sqlite_path == tmp_path / "culturecast.sqlite"
    assert s.base_url == "http://127.0.0.1:8080"
    assert s.rtmp_url == "rtmp://127.0.0.1:1935/live"


def test_engine_urls_select_distributed_adapters() -> None:
    s = load_settings(
        {
            "CULTURECAST_MONGO_URL": "mongodb://db:27017",
            "CULTURECAST_REDIS_URL": "redis://cache:6379/0",
            "CULTURECAST_S3_URL": "http://minio:9000",
            "CULTURECAST_S3_ACCESS_KEY": "k",
            "CULTURECAST_S3_SECRET_KEY": "s",
        }
    )
    assert s.engines == {"database": "mongodb", "objects": "s3", "counters": "redis"}
    assert s.s3 is not None
    assert s.s3.bucket == "culturecast"


def test_public_url_drives_rtmp_host() -> None:
    s = load_settings({"CULTURECAST_PUBLIC_URL": "https://live.example.cn/"})
    assert s.base_url == "https://live.example.cn"
    assert s.rtmp_url == "rtmp://live.example.cn:1935/live"


@pytest.mark.parametrize(
    ("variable", "value", "fragment"),
    [
        ("CULTURECAST_HTTP_PORT", "70000", "1–65535"),
        ("CULTURECAST_HTTP_PORT", "0", "1–65535"),
        ("CULTURECAST_RTMP_PORT", "abc", "port number"),
        ("CULTURECAST_MONGO_URL", "postgres://db/x", "unsupported URL scheme"),
        ("CULTURECAST_REDIS_URL", "http://cache", "unsupported URL scheme"),
        ("CULTURECAST_S3_URL", "ftp://store", "unsupported URL scheme"),
        ("CULTURECAST_PUBLIC_URL", "live.example.cn", "unsupported URL scheme"),
        ("CULTURECAST_TOKEN_TTL", "-5", "positive"),
        ("CULTURECAST_LOG_LEVEL", "LOUD", "one of"),
        ("CULTURECAST_LIVE_MAX_CONNECTIONS_PER_ADDRESS", "-1", "0 or more"),
        ("CULTURECAST_LIVE_MAX_CONNECTIONS_PER_ADDRESS", "ten", "whole number"),
        ("CULTURECAST_PULL_ALLOW", "10.0.0.0/33", "IP networks"),
        ("CULTURECAST_HTTP_PROT", "8080", "unknown setting"),
    ],
)
def test_bad_setting_names_its_variable(variable: str, value: str, fragment: str) -> None:
    env = {variable: value}
    if variable == "CULTURECAST_S3_URL":
        env |= {"CULTURECAST_S3_ACCESS_KEY": "k", "CULTURECAST_S3_SECRET_KEY": "s"}
    with pytest.raises(SettingsError) as info:
        load_settings(env)
    assert info.value.variable == variable
    assert fragment in str(info.value)
    assert str(info.value).startswith(variable)


def test_the_per_address_rtmp_cap_can_be_turned_off_for_an_ingest_behind_a_proxy() -> None:
    assert load_settings({}).live_max_connections_per_address == 10
    s = load_settings({"CULTURECAST_LIVE_MAX_CONNECTIONS_PER_ADDRESS": "0"})
    assert s.live_max_connections_per_address == 0


def test_s3_needs_its_keys() -> None:
    with pytest.raises(SettingsError) as info:
        load_settings({"CULTURECAST_S3_URL": "http://minio:9000"})
    assert info.value.variable == "CULTURECAST_S3_ACCESS_KEY"


def test_bad_bucket_name_refused() -> None:
    with pytest.raises(SettingsError) as info:
        load_settings(
            {
                "CULTURECAST_S3_URL": "http://minio:9000",
                "CULTURECAST_S3_ACCESS_KEY": "k",
                "CULTURECAST_S3_SECRET_KEY": "s",
                "CULTURECAST_S3_BUCKET": "Bad_Bucket",
            }
        )
    assert info.value.variable == "CULTURECAST_S3_BUCKET"


def test_test_harness_variables_are_not_settings() -> None:
    s = load_settings({"CULTURECAST_TEST_MONGO_URL": "mongodb://x"})
    assert s.mongo_url is None


def test_unwritable_data_dir_names_the_variable(tmp_path: Path) -> None:
    blocker = tmp_path / "a-file"
    blocker.write_text("not a directory")
    s = load_settings({"CULTURECAST_DATA_DIR": str(blocker / "data")})
    with pytest.raises(SettingsError) as info:
        prepare_data_dir(s)
    assert info.value.variable == "CULTURECAST_DATA_DIR"
    assert "not writable" in str(info.value)


def test_chat_reserved_names_are_a_comma_separated_list() -> None:
    assert load_settings({}).chat_reserved_names is None  # the chat's defaults
    s = load_settings({"CULTURECAST_CHAT_RESERVED_NAMES": "馆长， 站长,director ,"})
    assert s.chat_reserved_names == ("馆长", "站长", "director")
    with pytest.raises(SettingsError, match="CULTURECAST_CHAT_RESERVED_NAMES"):
        load_settings({"CULTURECAST_CHAT_RESERVED_NAMES": " , "})


def test_live_latency_mode_defaults_to_standard_and_names_its_variable() -> None:
    assert load_settings({}).live_latency_mode == "standard"
    assert load_settings({"CULTURECAST_LIVE_LATENCY_MODE": "LOW"}).live_latency_mode == "low"
    with pytest.raises(SettingsError) as caught:
        load_settings({"CULTURECAST_LIVE_LATENCY_MODE": "ultra"})
    assert "CULTURECAST_LIVE_LATENCY_MODE" in str(caught.value)


def test_pull_allow_lists_networks() -> None:
    allow = load_settings({"CULTURECAST_PULL_ALLOW": "127.0.0.1/32, 10.0.0.0/8"}).pull_allow
    assert [str(n) for n in allow] == ["127.0.0.1/32", "10.0.0.0/8"]
    assert load_settings({}).pull_allow == ()
