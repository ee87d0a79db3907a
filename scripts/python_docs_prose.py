"""Human-written prose from the Python documentation's reStructuredText sources.

Used by ``make_sample_data.py``. The sources are those Debian's ``python3.11-doc`` package
installs under ``/usr/share/doc/python3.11/html/_sources`` (the same text as
docs.python.org/3.11, under the PSF licence; version 3.11.2, whose text was written before
chat models were in general use). Pages read: "What's New" for Python 2.0 to 3.11
(2000-2022), the HOWTO guides, the tutorial, the FAQ and "Extending and Embedding".

A page becomes documents like this: code blocks (anything indented after ``::`` or a
``.. code-block::``/``.. doctest::`` directive), other directives, tables, section titles and
comments are removed; inline markup is reduced to its text (``:func:`os.walk``` -> ``os.walk``,
````x```` -> ``x``, ``*word*`` -> ``word``); what remains is split into paragraphs, and
consecutive paragraphs of one section are joined until a document has 150-330 words. A
paragraph that is mostly symbols (a table row, a stray signature), or that ends with a colon
(it introduced a code example that is gone), is dropped.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

DEFAULT_SOURCES = Path("/usr/share/doc/python3.11/html/_sources")
PAGES = (
    *(f"whatsnew/{v}.rst.txt" for v in ("2.0", "2.1", "2.2", "2.3", "2.4", "2.5", "2.6", "2.7",
                                         "3.0", "3.1", "3.2", "3.3", "3.4", "3.5", "3.6", "3.7",
                                         "3.8", "3.9", "3.10", "3.11")),
    "howto/*.rst.txt",
    "tutorial/*.rst.txt",
    "faq/*.rst.txt",
    "extending/*.rst.txt",
)
MIN_WORDS, MAX_WORDS = 150, 330
MIN_LETTER_FRACTION = 0.75

_TITLE_UNDERLINE = re.compile(r"^([=\-~^\"'`#*+.:_])\1{2,}\s*$")
_ROLE = re.compile(r":[\w:.-]+:`(?:[^`<]*?<)?~?!?([^`>]+?)>?`")
_LITERAL = re.compile(r"``(.+?)``")
_LINK = re.compile(r"`([^`<]+?)\s*<[^`>]+>`_{1,2}")
_REF = re.compile(r"`([^`]+)`_{1,2}")
_EMPHASIS = re.compile(r"(?<![\w*])\*{1,2}([^*\s][^*]*?)\*{1,2}(?![\w*])")
_FOOTNOTE = re.compile(r"\s*\[(?:#\w*|\d+)\]_")


def _inline(text: str) -> str:
    for pattern in (_ROLE, _LITERAL, _LINK, _REF, _EMPHASIS):
        text = pattern.sub(r"\1", text)
    text = _FOOTNOTE.sub("", text)
    return re.sub(r"\s+", " ", text.replace("\\", "")).strip()


def _letter_fraction(text: str) -> float:
    return sum(c.isalpha() or c.isspace() for c in text) / max(len(text), 1)


def sections(source: str) -> Iterator[list[str]]:
    """The prose paragraphs of each section of one page, in order."""
    lines = source.splitlines()
    paragraph: list[str] = []
    current: list[str] = []
    skip_indent: int | None = None  # inside a code block or directive body: skip lines indented deeper than this

    def flush() -> None:
        if paragraph:
            current.append(" ".join(paragraph))
            paragraph.clear()

    for i, line in enumerate(lines):
        stripped = line.strip()
        indent = len(line) - len(line.lstrip())
        if skip_indent is not None:
            if not stripped or indent > skip_indent:
                continue
            skip_indent = None
        if not stripped:
            flush()
            continue
        if _TITLE_UNDERLINE.match(line) or (i + 1 < len(lines) and _TITLE_UNDERLINE.match(lines[i + 1]) and stripped):
            flush()  # a title (the underline, and the line above it) starts a new section
            if current:
                yield current
                current = []
            continue
        if stripped.startswith(".."):
            flush()  # a directive or comment: its body is indented under it
            skip_indent = indent
            continue
        if indent > 0 or stripped.startswith(("|", "+-", "* ", "- ", "#. ", ">>>")) or re.match(r"\d+\.\s", stripped):
            flush()  # quoted blocks, tables, lists: not running prose
            continue
        paragraph.append(stripped)
        if stripped.endswith("::"):
            paragraph[-1] = stripped[:-1] if not stripped.endswith(" ::") else stripped[:-3]
            flush()
            skip_indent = indent
    flush()
    if current:
        yield current


def documents(page: str, source: str) -> Iterator[tuple[str, str]]:
    """``(id, text)`` of each document of one page: prose paragraphs of a section joined to MIN-MAX words."""
    for s, paragraphs in enumerate(sections(source)):
        chunk: list[str] = []
        words = 0
        part = 0
        for raw in paragraphs:
            text = _inline(raw)
            n = len(text.split())
            if n < 12 or _letter_fraction(text) < MIN_LETTER_FRACTION or text.endswith(":"):
                continue
            if words + n > MAX_WORDS and words >= MIN_WORDS:
                yield f"pydocs:{page}:s{s}:{part}", "\n\n".join(chunk)
                chunk, words, part = [], 0, part + 1
            if words + n > MAX_WORDS:
                chunk, words = [], 0  # a paragraph too long to join: start over from it
                if n > MAX_WORDS:
                    continue
            chunk.append(text)
            words += n
        if words >= MIN_WORDS:
            yield f"pydocs:{page}:s{s}:{part}", "\n\n".join(chunk)


def collect(root: Path = DEFAULT_SOURCES) -> list[dict]:
    """Every document of :data:`PAGES` under ``root``, as records sorted by id."""
    records: list[dict] = []
    for pattern in PAGES:
        for path in sorted(root.glob(pattern)):
            page = path.relative_to(root).as_posix().removesuffix(".rst.txt")
            for doc_id, text in documents(page, path.read_text(encoding="utf-8")):
                records.append({"id": doc_id, "text": text, "label": "human", "source": "python-docs-3.11",
                                "page": page, "source_file": page})
    if not records:
        raise SystemExit(f"no documentation sources under {root}; install Debian's python3.11-doc "
                         "(apt-get install python3.11-doc) or pass --docs DIR")
    return sorted(records, key=lambda r: r["id"])
