"""Chinese word segmentation for search.

Wagtail's database backend splits text on spaces and punctuation, and Chinese is
written without spaces, so 消防 inside 建设工程消防验收备案办理指南 is never a
token of its own. Pages index a jieba-segmented copy of their text (search mode,
which also yields the dictionary words inside longer ones) and queries are
segmented the same way before they reach the backend.
"""

from __future__ import annotations

import logging
import re
from functools import cache

import jieba

# one token is a run of CJK characters, letters or digits; punctuation is dropped
_TOKEN = re.compile(r"[\w\u4e00-\u9fff]+")

jieba.setLogLevel(logging.WARNING)


@cache
def _tokenizer() -> jieba.Tokenizer:
    # jieba builds its dictionary cache lazily on first use (about a second)
    tokenizer = jieba.Tokenizer()
    tokenizer.initialize()
    return tokenizer


def segment(text: str) -> str:
    """The text as space-separated words, with the shorter dictionary words found
    inside longer ones, for the index."""
    if not text:
        return ""
    words = _tokenizer().cut_for_search(text)
    return " ".join(w for w in (w.strip() for w in words) if _TOKEN.fullmatch(w))


def query_terms(query: str) -> list[str]:
    """The query's words, deduplicated in order, each of which a match must contain."""
    seen: dict[str, None] = {}
    for word in _tokenizer().cut(query or ""):
        word = word.strip()
        if _TOKEN.fullmatch(word):
            seen.setdefault(word, None)
    return list(seen)
