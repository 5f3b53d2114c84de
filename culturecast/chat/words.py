"""Sensitive-word filter: an Aho–Corasick automaton over a folded form of the text.

The word list is configured by operators (``data/sensitive_words.txt`` is only a
short, neutral default). The automaton is built once from the list; matching a
comment then costs O(length of comment + number of matches), whatever the size
of the list.

Matching ignores the tricks people use to slip a word past a filter. Both the
words and the text are *folded*, one original character at a time:

- NFKC, so full-width ``ＳＰＡＭ`` is ``SPAM``;
- lowercase (``str.casefold``), so ``Spam`` is ``spam``;
- traditional → simplified Chinese, from :data:`TRADITIONAL_TO_SIMPLIFIED`, a
  small built-in table of common characters (it is a table, not a converter:
  operators extend it with ``extra_folds``);
- every character that is not a letter, digit or CJK ideograph after folding
  is skipped, so ``敏 感 词``, ``敏*感*词``, ``敏.感.词`` and ``敏\u200d感\u200d词``
  all read ``敏感词``.

Every folded character remembers the index of the original character it came
from, so a match is reported (and masked) as a span of the *original* text,
separators included, and the rest of the text is left as it was.

Chinese is written without spaces, so a Chinese word matches anywhere. A word
made only of ASCII letters and digits must instead stand alone: the original
characters just before and after the match must not be ASCII letters or
digits. Otherwise skipping separators would read ``"spa menu"`` as ``spam``,
and plain substrings would find ``ass`` in ``class``; ``s p a m`` and
``s.p.a.m`` are still caught.
"""

from __future__ import annotations

import unicodedata
from collections import deque
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from importlib import resources
from typing import Final, Literal

type SensitiveAction = Literal["mask", "refuse"]

DEFAULT_MASK: Final = "＊"

# Common characters whose traditional form differs from the simplified one:
# enough for typical spam/fraud/gambling phrases and everyday chat. Extendable
# through ``SensitiveWordFilter(extra_folds=...)``.
_PAIRS: Final = (
    "詞词 語语 說说 話话 請请 謝谢 讚赞 贊赞 評评 論论 訊讯 課课 證证 讓让 該该 認认 識识 "
    "賭赌 騙骗 詐诈 錢钱 幣币 貸贷 資资 買买 賣卖 賺赚 費费 貨货 價价 帳账 賬账 贈赠 "
    "獎奖 兌兑 換换 轉转 匯汇 銀银 鈔钞 銷销 鏈链 連连 結结 擊击 點点 號号 碼码 網网 "
    "聯联 繫系 係系 紅红 黃黄 綠绿 藍蓝 發发 髮发 開开 關关 會会 個个 們们 這这 來来 "
    "時时 對对 國国 學学 東东 車车 馬马 門门 問问 間间 長长 頭头 萬万 與与 為为 麼么 "
    "裡里 體体 後后 進进 過过 還还 見见 現现 實实 無无 愛爱 樂乐 書书 華华 區区 業业 "
    "務务 員员 廣广 優优 領领 註注 冊册 戶户 級级 線线 職职 單单 傳传 殺杀 豬猪 盤盘 "
    "違违 軟软 給给 從从 處处 氣气 經经 濟济 機机 構构 術术 藝艺 劇剧 戲戏 團团 館馆 "
    "圖图 場场 觀观 聽听 歡欢 視视 頻频 約约 導导 師师 報报 稅税 辦办 "
    "飛飞 雙双 鳳凤 龍龙 鬥斗 顯显 權权 黨党 選选 舉举 槍枪 彈弹 藥药 醫医 療疗 "
    "兒儿 媽妈 親亲 讀读 寫写 聞闻 隊队 陽阳 陰阴 歲岁 節节 電电 腦脑 遊游 "
    "絡络 臺台 灣湾 鄉乡 縣县 鎮镇 標标 準准 題题 應应 變变 邊边 "
    "內内 兩两 當当 總总 動动 勞劳 參参 獲获 禮礼 贏赢 輸输 錄录 簽签 "
)

TRADITIONAL_TO_SIMPLIFIED: Final[Mapping[str, str]] = {
    pair[0]: pair[1] for pair in _PAIRS.split() if pair[0] != pair[1]
}
"""The built-in traditional → simplified table, one character each way."""

_CACHE_LIMIT: Final = 1 << 16


@dataclass(frozen=True, slots=True)
class WordMatch:
    """One occurrence of a listed word in the original text."""

    start: int
    """Index of the first original character of the occurrence."""
    end: int
    """Index just past its last original character (``text[start:end]``)."""
    word: str
    """The listed word that matched, as written in the word list."""


def parse_word_list(text: str) -> list[str]:
    """Words from a list file: one per line, blank lines and ``#`` comments ignored."""
    words: list[str] = []
    for line in text.splitlines():
        word = line.split("#", 1)[0].strip()
        if word:
            words.append(word)
    return words


def read_default_words() -> list[str]:
    """The packaged default list (read once at start-up by the composition root)."""
    data = resources.files("culturecast.chat").joinpath("data/sensitive_words.txt")
    return parse_word_list(data.read_text(encoding="utf-8"))


def _is_kept(ch: str) -> bool:
    # Letters and digits of every script; CJK ideographs are letters (Lo).
    return ch.isalnum()


def _is_ascii_word(folded: str) -> bool:
    return folded.isascii() and folded.isalnum()


class SensitiveWordFilter:
    """An Aho–Corasick automaton over folded words, built once, matched in O(n)."""

    def __init__(
        self, words: Iterable[str], *, extra_folds: Mapping[str, str] | None = None
    ) -> None:
        self._folds: dict[str, str] = dict(TRADITIONAL_TO_SIMPLIFIED)
        if extra_folds:
            for src, dst in extra_folds.items():
                if len(src) != 1:
                    # Folding is per original character, so spans map back exactly.
                    raise ValueError(f"extra_folds keys must be one character, got {src!r}")
                self._folds[src] = dst
        self._fold_cache: dict[str, str] = {}
        # Trie as parallel lists indexed by node id: children, failure link,
        # and the (folded length, word, must stand alone) triples that end at
        # the node, including those inherited through failure links so
        # matching never walks them.
        self._goto: list[dict[str, int]] = [{}]
        self._fail: list[int] = [0]
        self._out: list[tuple[tuple[int, str, bool], ...]] = [()]
        count = 0
        for word in words:
            folded = self.fold(word)
            if folded:
                self._insert(folded, word)
                count += 1
        self._size = count
        self._build_failure_links()

    def __len__(self) -> int:
        """Number of usable words (those that fold to at least one character)."""
        return self._size

    # -- folding -------------------------------------------------------------

    def _fold_char(self, ch: str) -> str:
        cached = self._fold_cache.get(ch)
        if cached is not None:
            return cached
        folded = "".join(
            self._folds.get(c, c)
            for c in unicodedata.normalize("NFKC", ch).casefold()
            if _is_kept(c)
        )
        # A table fold may name characters that themselves need folding.
        folded = "".join(self._folds.get(c, c) for c in folded)
        if len(self._fold_cache) < _CACHE_LIMIT:
            self._fold_cache[ch] = folded
        return folded

    def fold(self, text: str) -> str:
        """The folded form of ``text`` that matching runs on."""
        return "".join(self._fold_char(ch) for ch in text)

    # -- building --------------------------------------------------------------

    def _insert(self, folded: str, word: str) -> None:
        node = 0
        for ch in folded:
            nxt = self._goto[node].get(ch)
            if nxt is None:
                nxt = len(self._goto)
                self._goto[node][ch] = nxt
                self._goto.append({})
                self._fail.append(0)
                self._out.append(())
            node = nxt
        if not self._out[node]:
            # Two entries folding alike ("词", "詞") are one word; the first wins.
            self._out[node] = ((len(folded), word, _is_ascii_word(folded)),)

    def _build_failure_links(self) -> None:
        queue: deque[int] = deque(self._goto[0].values())
        while queue:
            node = queue.popleft()
            for ch, child in self._goto[node].items():
                queue.append(child)
                fail = self._fail[node]
                while fail and ch not in self._goto[fail]:
                    fail = self._fail[fail]
                target = self._goto[fail].get(ch, 0)
                self._fail[child] = target if target != child else 0
                self._out[child] = self._out[child] + self._out[self._fail[child]]

    # -- matching --------------------------------------------------------------

    def find(self, text: str) -> list[WordMatch]:
        """Every occurrence of a listed word in ``text``, by original span, in order."""
        return list(self._scan(text, first_only=False))

    def contains(self, text: str) -> bool:
        """Whether any listed word occurs in ``text`` (stops at the first one)."""
        return bool(self._scan(text, first_only=True))

    def _scan(self, text: str, *, first_only: bool) -> list[WordMatch]:
        if self._size == 0:
            return []
        goto, fail, out = self._goto, self._fail, self._out
        origin: list[int] = []  # original index of each folded character
        matches: list[WordMatch] = []
        node = 0
        for index, raw in enumerate(text):
            for ch in self._fold_char(raw):
                origin.append(index)
                while node and ch not in goto[node]:
                    node = fail[node]
                node = goto[node].get(ch, 0)
                if out[node]:
                    end = len(origin)
                    for length, word, alone in out[node]:
                        start = origin[end - length]
                        if alone and not self._stands_alone(text, start, index + 1):
                            continue
                        matches.append(WordMatch(start, index + 1, word))
                        if first_only:
                            return matches
        matches.sort(key=lambda m: (m.start, m.end))
        return matches

    def _stands_alone(self, text: str, start: int, end: int) -> bool:
        if start > 0:
            before = self._fold_char(text[start - 1])
            if before and before[-1].isascii():
                return False
        if end < len(text):
            after = self._fold_char(text[end])
            if after and after[0].isascii():
                return False
        return True

    def mask(self, text: str, mask_char: str = DEFAULT_MASK) -> tuple[str, list[WordMatch]]:
        """``text`` with each matched original span replaced, character for character.

        Returns the masked text and the matches; text outside the spans is kept.
        """
        matches = self.find(text)
        if not matches:
            return text, matches
        chars = list(text)
        for match in matches:
            for i in range(match.start, match.end):
                chars[i] = mask_char
        return "".join(chars), matches
