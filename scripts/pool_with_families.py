"""Write the labelled pool as one JSONL file in which every record has a ``family`` (and a ``style``).

The two newer files of the pool carry ``family``; the older ones carry only ``domain``, which the
pool's README maps onto families (press, fiction, nonfiction, reviews_forums, student_essay). The
model is validated leaving one family out, so every record needs one. Records keep every field;
``style`` is set to ``""`` where absent (human texts and older machine texts).

One cleaning step: ``biomed_qa`` records read ``Question: <question> Answer: <answer>``, and the
question is the human-written prompt in *both* classes (a machine record answers it). Only the
answer is kept, so the question's words are not counted as machine writing, and records left
with fewer than :data:`MIN_WORDS` words (the human side holds stubs such as "Our results suggest
that") are dropped and counted on stderr.

Usage: ``python scripts/pool_with_families.py DATA_DIR OUT.jsonl.gz``. The output is written outside
the repository by ``scripts/train_default_model.sh`` (into a temporary directory it removes): the
pool is not the project's to redistribute.
"""

from __future__ import annotations

import gzip
import json
import re
import sys
from pathlib import Path

# The pool README's table: the older files' domains and the families they belong to.
FAMILY_OF_DOMAIN = {
    "news": "press",
    "story": "fiction",
    "wikipedia": "nonfiction",
    "biomed_qa": "nonfiction",
    "biomed_article": "nonfiction",
    "student_essay": "student_essay",
}


MIN_WORDS = 15
_QUESTION = re.compile(r"\s*Question:.*?\?\s*Answer:\s*", re.S)


def cleaned(record: dict) -> dict | None:
    """The record with a biomed_qa question removed (see the module docstring); None to drop it."""
    if record.get("domain") != "biomed_qa":
        return record
    match = _QUESTION.match(record.get("text", ""))
    if match:
        record["text"] = record["text"][match.end():]
    return record if len(record["text"].split()) >= MIN_WORDS else None


def family_of(record: dict) -> str:
    """The record's family: its own ``family`` field, else the one its ``domain`` maps to."""
    if record.get("family"):
        return str(record["family"])
    try:
        return FAMILY_OF_DOMAIN[str(record.get("domain"))]
    except KeyError:
        raise SystemExit(f"no family for domain {record.get('domain')!r}: add it to FAMILY_OF_DOMAIN") from None


def main() -> None:
    if len(sys.argv) != 3:
        raise SystemExit(__doc__)
    data, out = Path(sys.argv[1]), Path(sys.argv[2])
    files = sorted(data.glob("*.jsonl.gz"))
    if not files:
        raise SystemExit(f"{data}: no *.jsonl.gz files")
    written = dropped = 0
    with gzip.open(out, "wt", encoding="utf-8", compresslevel=1) as sink:
        for path in files:
            with gzip.open(path, "rt", encoding="utf-8") as source:
                for line in source:
                    record = cleaned(json.loads(line))
                    if record is None:
                        dropped += 1
                        continue
                    record["family"] = family_of(record)
                    record.setdefault("style", "")
                    sink.write(json.dumps(record, ensure_ascii=False) + "\n")
                    written += 1
    print(f"{written} records from {len(files)} files -> {out} ({dropped} biomed_qa records under {MIN_WORDS} words "
          "once the question is removed, dropped)", file=sys.stderr)


if __name__ == "__main__":
    main()
