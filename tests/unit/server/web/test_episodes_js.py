"""Episode numbers and titles from file names (``static/js/episodes.js``), as the console's
批量上传剧集 reads them: the module itself, run by node (it is pure: no DOM, no imports)."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest

from culturecast.server.web import i18n

EPISODES_JS = Path(i18n.__file__).parent / "static" / "js" / "episodes.js"


def run_js(tmp_path: Path, expression: str) -> Any:
    """The JSON value of ``expression`` with the module's exports in scope."""
    node = shutil.which("node")
    # Fail rather than skip: a run that silently skipped would prove nothing.
    assert node is not None, "node is not installed: run scripts/bootstrap --dev"
    module = tmp_path / "episodes.mjs"  # .mjs: node reads it as an ES module
    module.write_bytes(EPISODES_JS.read_bytes())
    script = (
        f"import * as m from {json.dumps(module.as_uri())};\n"
        f"process.stdout.write(JSON.stringify((({expression}))(m)));\n"
    )
    done = subprocess.run(
        [node, "--input-type=module", "-e", script],
        capture_output=True,
        text=True,
        timeout=30,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


NAMES = {
    "第12回": 12,
    "第十二回": 12,
    "第一百零八回": 108,
    "第3集": 3,
    "EP03": 3,
    "03.mp3": 3,
    "三国演义 012.m4a": 12,
    "评书 第2回.mp3": 2,
    "评书 第10回.mp3": 10,
    "单田芳 三国演义 第 7 回.mp3": 7,
    "第十回.mp3": 10,
    "第二十回": 20,
    "第一千零一回": 1001,
    "第两百回": 200,
    "第一〇八回": 108,
    "第１２回.mp3": 12,  # full-width digits
    "三国演义 ０３.m4a": 3,
    "Ep.5 空城计.mp4": 5,
    "S01E04.mkv": 4,
    "隋唐演义 第一部 第5回.mp3": 5,  # the volume is not the episode
    "岳飞传 第二部 015.mp3": 15,
    "杨家将 第十二.mp3": 12,
    "三国演义 012 1080p.mp4": 12,  # 1080p is a picture size
    "戏曲 x264.mp4": None,
    "开场白.mp3": None,
    "第0回.mp3": None,
    "第200000回.mp3": None,  # beyond the API's bound
}


def test_episode_numbers_from_file_names(tmp_path: Path) -> None:
    names = json.dumps(list(NAMES))
    got = run_js(
        tmp_path, f"(m) => Object.fromEntries({names}.map((n) => [n, m.episodeFromName(n)]))"
    )
    assert got == NAMES


@pytest.mark.parametrize(
    ("text", "value"),
    [("十", 10), ("十二", 12), ("一百零八", 108), ("一万二千", 12000), ("三", 3), ("abc", None)],
)
def test_chinese_numerals(tmp_path: Path, text: str, value: int | None) -> None:
    assert run_js(tmp_path, f"(m) => m.chineseNumeral({json.dumps(text)})") == value


def test_titles_are_the_names_without_their_extension_as_typed(tmp_path: Path) -> None:
    names = ["评书 第2回.mp3", "三国演义 012.m4a", "空城计", "Ｆｕｌｌ　宽.MP3", "a.b.wav"]
    got = run_js(tmp_path, f"(m) => {json.dumps(names)}.map(m.titleFromName)")
    assert got == ["评书 第2回", "三国演义 012", "空城计", "Ｆｕｌｌ　宽", "a.b"]


def test_a_plan_is_in_episode_order_with_unnumbered_files_after_in_the_order_chosen(
    tmp_path: Path,
) -> None:
    names = ["评书 第2回.mp3", "开场白.mp3", "评书 第10回.mp3", "后记.mp3", "评书 第1回.mp3"]
    plan = run_js(tmp_path, f"(m) => m.planEpisodes({json.dumps(names)})")
    assert [(p["episode"], p["title"], p["fromName"]) for p in plan] == [
        (1, "评书 第1回", True),
        (2, "评书 第2回", True),
        (10, "评书 第10回", True),
        (11, "开场白", False),
        (12, "后记", False),
    ]


def test_ties_are_in_file_name_order_and_unnumbered_follow_the_series(tmp_path: Path) -> None:
    names = ["第3回 下.mp3", "第3回 上.mp3", "序.mp3", "第1集.mp3"]
    plan = run_js(tmp_path, f"(m) => m.planEpisodes({json.dumps(names)}, {{after: 40}})")
    assert [(p["name"], p["episode"]) for p in plan] == [
        ("第1集.mp3", 1),
        ("第3回 上.mp3", 3),
        ("第3回 下.mp3", 3),
        ("序.mp3", 41),  # after the series' episode 40
    ]


def test_an_edited_number_moves_its_row_and_ties_keep_their_place(tmp_path: Path) -> None:
    expression = """(m) => {
      const plan = m.planEpisodes(["第1回.mp3", "第2回.mp3", "第3回.mp3"]);
      plan[0].episode = 3;
      return m.reorder(plan).map((p) => p.name);
    }"""
    assert run_js(tmp_path, expression) == ["第2回.mp3", "第1回.mp3", "第3回.mp3"]
