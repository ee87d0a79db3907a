"""The baseline: a versioned JSON file of the findings a data repository has accepted.

Like detect-secrets' ``.secrets.baseline``: ``auditor hook`` blocks a commit only
for findings the baseline does not hold. A finding is a document scoring at or
above the per-document threshold, identified by its file (a POSIX path relative to
the repository root) and the SHA-256 of its normalized text, so moving a document
within its file, reformatting it or changing its id creates no new finding. The
baseline also records the model's SHA-256 and the settings that decide what a
finding is; when either changes the baseline is stale and the hook rewrites it
(exit 3) instead of passing silently.

Each finding has a status: ``unreviewed`` (recorded by ``create`` / ``update``,
which is how a team accepts it), ``accepted`` or ``rejected`` (decided in
``auditor baseline audit``). A rejected document blocks the hook until it is removed.

Layout (keys sorted, so the file diffs cleanly)::

    {"schema": "auditor.baseline/1",
     "tool": {"name": "auditor", "version": "..."},
     "model": {"name": "...", "sha256": "..."},
     "settings": {"fail-above": 0.1, "threshold": 0.95, ...},
     "files": {"data/a.jsonl": {"<sha256>": {"id": "doc-7", "p_synthetic": 0.98, "status": "unreviewed"}}}}
"""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import cast

from auditor import __version__
from auditor.atomic import atomic_path
from auditor.detector.schema import SHA256, number
from auditor.errors import ConfigError
from auditor.hook.settings import RECORDED_SETTINGS
from auditor.regular_files import read_regular

SCHEMA = "auditor.baseline/1"
UNREVIEWED, ACCEPTED, REJECTED = "unreviewed", "accepted", "rejected"
STATUSES = (UNREVIEWED, ACCEPTED, REJECTED)
SCORE_DIGITS = 6  # scores are rounded so a baseline does not churn on floating-point noise
MAX_BASELINE_BYTES = 256 << 20  # read whole and parsed: bounded (about a million findings)


def content_hash(normalized_text: str) -> str:
    """The identity of a document's content: SHA-256 of its normalized text (hex)."""
    return hashlib.sha256(normalized_text.encode("utf-8", "surrogatepass")).hexdigest()


@dataclass(frozen=True)
class Finding:
    """One recorded finding of a file (its key in :attr:`Baseline.files` is the content hash).

    Attributes:
        id: the document's id when it was last scanned (informational).
        p_synthetic: its score then, rounded to :data:`SCORE_DIGITS` digits.
        status: one of :data:`STATUSES`.
    """

    id: str
    p_synthetic: float
    status: str = UNREVIEWED

    def __post_init__(self) -> None:
        if self.status not in STATUSES:
            raise ValueError(f"status must be one of {', '.join(STATUSES)}, not {self.status!r}")
        object.__setattr__(self, "p_synthetic", round(float(self.p_synthetic), SCORE_DIGITS))

    def to_dict(self) -> dict[str, object]:
        return {"id": self.id, "p_synthetic": self.p_synthetic, "status": self.status}


@dataclass
class Baseline:
    """Accepted findings by file and content hash, with the model and settings they were scored with."""

    model: dict[str, str]
    settings: dict[str, object]
    files: dict[str, dict[str, Finding]] = field(default_factory=dict)
    tool_version: str = __version__

    def stale_reasons(self, model: Mapping[str, str], settings: Mapping[str, object]) -> list[str]:
        """What differs from the current model and settings (empty when the baseline is current)."""
        reasons = []
        if self.model.get("sha256") != model.get("sha256"):
            reasons.append(f"the model changed ({self.model.get('name')} {str(self.model.get('sha256'))[:12]} -> "
                           f"{model.get('name')} {str(model.get('sha256'))[:12]})")
        for key in sorted(set(self.settings) | set(settings)):
            if key != "model-sha256" and self.settings.get(key) != settings.get(key):
                reasons.append(f"{key} changed ({_show(self.settings.get(key))} -> {_show(settings.get(key))})")
        return reasons

    def findings(self) -> Iterator[tuple[str, str, Finding]]:
        """Every ``(file, hash, finding)``, in file then hash order."""
        for key in sorted(self.files):
            for digest in sorted(self.files[key]):
                yield key, digest, self.files[key][digest]

    def counts(self) -> dict[str, int]:
        """Findings by status."""
        counts = dict.fromkeys(STATUSES, 0)
        for _, _, finding in self.findings():
            counts[finding.status] += 1
        return counts

    def with_status(self, key: str, digest: str, status: str) -> None:
        self.files[key][digest] = replace(self.files[key][digest], status=status)

    def to_dict(self) -> dict[str, object]:
        return {
            "schema": SCHEMA,
            "tool": {"name": "auditor", "version": self.tool_version},
            "model": dict(self.model),
            "settings": dict(self.settings),
            "files": {key: {digest: finding.to_dict() for digest, finding in entries.items()}
                      for key, entries in self.files.items() if entries},
        }

    def save(self, path: str | os.PathLike[str]) -> None:
        """Write atomically: a killed run leaves the previous baseline intact."""
        text = json.dumps(self.to_dict(), indent=2, sort_keys=True, allow_nan=False) + "\n"
        with atomic_path(path) as tmp:
            tmp.write_text(text, encoding="utf-8")

    @classmethod
    def load(cls, path: str | os.PathLike[str]) -> Baseline:
        """Read and validate a baseline; raises :class:`ConfigError` naming the file (and line, or key) and the fix.

        Only a regular file is read (a FIFO or a link to ``/dev/zero`` is refused), and every key
        is checked: an unknown key, a content hash that is not 64 lowercase hexadecimal digits or
        a value of the wrong type is refused rather than ignored.
        """
        path = Path(path)
        fix = "restore it from git or recreate it with 'auditor baseline create --force'"
        try:
            document = json.loads(read_regular(path, MAX_BASELINE_BYTES, "a baseline").decode("utf-8"))
        except json.JSONDecodeError as err:
            raise ConfigError(f"{path}:{err.lineno}: not valid JSON ({err.msg}); {fix}") from None
        except RecursionError:
            raise ConfigError(f"{path}: nested too deeply to be a baseline; {fix}") from None
        except (OSError, UnicodeDecodeError) as err:
            raise ConfigError(f"{path}: cannot read the baseline: {getattr(err, 'strerror', None) or err}") from None
        if not isinstance(document, dict) or document.get("schema") != SCHEMA:
            found = document.get("schema") if isinstance(document, dict) else type(document).__name__
            raise ConfigError(f"{path}: not an auditor baseline (schema {found!r}, expected {SCHEMA!r}); "
                              "a newer auditor may have written it: upgrade, or recreate it with 'auditor baseline create --force'")
        try:
            return _parse(document)
        except ValueError as err:
            raise ConfigError(f"{path}: malformed baseline ({err}); {fix}") from None


# The keys of a baseline, by object: anything else is refused (a typo must not be silently ignored).
_TOP_KEYS = frozenset({"schema", "tool", "model", "settings", "files"})
_TOOL_KEYS = frozenset({"name", "version"})
_MODEL_KEYS = frozenset({"name", "sha256"})
_FINDING_KEYS = frozenset({"id", "p_synthetic", "status"})
_SCORE = number(0.0, 1.0)


def _object(value: object, where: str, allowed: frozenset[str] | None, required: frozenset[str] = frozenset()) -> dict[str, object]:
    """``value`` as an object whose keys are among ``allowed`` (None: any) and include ``required``; ValueError otherwise."""
    if not isinstance(value, dict):
        raise ValueError(f"{where} must be an object, got {type(value).__name__}")
    unknown = sorted(set(value) - allowed) if allowed is not None else []
    if unknown:
        raise ValueError(f"unknown key {unknown[0]!r} in {where} (known keys: {', '.join(sorted(allowed or ()))})")
    missing = sorted(required - set(value))
    if missing:
        raise ValueError(f"{where} has no {missing[0]!r}")
    return value


def _string(value: object, where: str) -> str:
    if not isinstance(value, str):
        raise ValueError(f"{where} must be a string, got {value!r}")
    return value


def _parse(document: dict[str, object]) -> Baseline:
    """The baseline a JSON document holds; ValueError naming the first key or value that is not the format."""
    top = _object(document, "the top level", _TOP_KEYS, _TOP_KEYS - {"tool"})
    tool = _object(top.get("tool", {}), "'tool'", _TOOL_KEYS)
    model = {key: _string(value, f"model.{key}") for key, value in _object(top["model"], "'model'", _MODEL_KEYS).items()}
    if "sha256" in model and not SHA256.test(model["sha256"]):
        raise ValueError(f"model.sha256 must be {SHA256.description}, got {model['sha256']!r}")
    settings = _object(top["settings"], "'settings'", RECORDED_SETTINGS)
    files: dict[str, dict[str, Finding]] = {}
    for key, entries in _object(top["files"], "'files'", None).items():
        files[key] = {}
        for digest, entry in _object(entries, f"files[{key!r}]", None).items():
            where = f"files[{key!r}][{digest!r}]"
            if not SHA256.test(digest):
                raise ValueError(f"{where}: the key must be a content hash, {SHA256.description}")
            fields = _object(entry, where, _FINDING_KEYS, _FINDING_KEYS)
            if not _SCORE.test(fields["p_synthetic"]):
                raise ValueError(f"{where}.p_synthetic must be {_SCORE.description}, got {fields['p_synthetic']!r}")
            try:
                files[key][digest] = Finding(_string(fields["id"], f"{where}.id"),
                                             cast(float, fields["p_synthetic"]),  # a number: _SCORE checked it above
                                             _string(fields["status"], f"{where}.status"))
            except ValueError as err:
                raise ValueError(f"{where}: {err}") from None
    return Baseline(model, settings, files, _string(tool.get("version", "unknown"), "tool.version"))


def _show(value: object) -> str:
    return json.dumps(value, sort_keys=True) if value is not None else "unset"
