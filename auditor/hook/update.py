"""``auditor baseline create|update`` and the audit's lookup of findings in their files."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from auditor import __version__
from auditor.hook.baseline import REJECTED, Baseline, Finding, content_hash
from auditor.hook.run import FileScan, FileScorer, data_files, rejected_digests, repository_files, rescan_recorded, rescored
from auditor.hook.settings import HookSettings
from auditor.io.documents import ReaderOptions
from auditor.io.problems import ReadReport
from auditor.io.reading import read_documents
from auditor.normalize import normalize


@dataclass
class UpdateResult:
    """What ``auditor baseline create|update`` did.

    Attributes:
        baseline: the baseline written.
        scanned: the files asked for (their findings are now accepted).
        rescored: other files the old baseline named, rescanned because it was stale
            (their entries got the current scores; nothing was added to them).
        added / removed / kept: findings, over every file.
        ignored: paths that are not data files.
    """

    baseline: Baseline
    scanned: list[FileScan]
    rescored: list[FileScan]
    added: int
    removed: int
    kept: int
    ignored: list[str]

    def to_dict(self) -> dict[str, object]:
        """``auditor baseline create|update --json``: the files scanned (as the baseline names them, from the
        repository root) with the findings it now records for each, the changes, and its findings by status."""
        return {
            "model": dict(self.baseline.model),
            "settings": dict(self.baseline.settings),
            "files": [{"path": scan.key, "documents": scan.documents, "findings": len(self.baseline.files.get(scan.key, {})),
                       "skipped": dict(scan.skipped)} for scan in self.scanned],
            "added": self.added,
            "removed": self.removed,
            "kept": self.kept,
            "findings": self.baseline.counts(),
            "rescored": [scan.key for scan in self.rescored],
            "ignored": list(self.ignored),
        }


def update_baseline(paths: Sequence[str], settings: HookSettings, create: bool = False, scorer: FileScorer | None = None) -> UpdateResult:
    """Accept the current findings of ``paths`` (default: the repository's data files) in the baseline.

    For those files, findings already recorded keep their status, new ones are
    recorded as unreviewed (accepted until audited) and findings that are gone are
    dropped; a rejected document stays rejected while it is there. Other files
    keep their entries while they exist. When the existing baseline is stale
    (another model or other settings) those other files are rescanned too and
    their entries rescored, so no entry keeps another model's score, but nothing
    is added to them: accepting is only ever for the files asked for. ``create``
    starts from an empty baseline. Written atomically.
    """
    scorer = scorer or FileScorer(settings)
    ignored: list[str] = []
    files = data_files(paths, settings, ignored) if paths else repository_files(settings, ignored)
    path = settings.baseline_path
    old = None if create or not path.exists() else Baseline.load(path)
    previous = old.files if old is not None else {}
    rejected = rejected_digests(old)
    identity, recorded = scorer.model_identity(), scorer.recorded_settings()
    new = Baseline(identity, recorded, tool_version=__version__)
    added = removed = kept = 0
    scans = []
    for file in files:
        before = previous.get(settings.key_for(file), {})
        scan = scorer.scan(file, set(before) | rejected)
        scans.append(scan)
        entries = scan.findings()
        for doc in scan.watched:  # a rejected document stays rejected while it is in the file
            if doc.digest in rejected:
                entries[doc.digest] = Finding(doc.id, doc.p_synthetic, REJECTED)
        for digest, finding in entries.items():
            if digest in before:
                entries[digest] = Finding(finding.id, finding.p_synthetic, before[digest].status)
        added += len(entries.keys() - before.keys())
        removed += len(before.keys() - entries.keys())
        kept += len(entries.keys() & before.keys())
        new.files[scan.key] = entries
    others: list[FileScan] = []
    if old is not None:
        stale = bool(old.stale_reasons(identity, recorded))
        if stale:
            others = list(rescan_recorded(old, settings, scorer, set(new.files)).values())
            for scan in others:
                new.files[scan.key] = rescored(old, scan)
        asked = {scan.key for scan in scans}
        for key, entries in old.files.items():
            if key in new.files and key not in asked:
                kept += len(new.files[key])
                removed += len(entries) - len(new.files[key])
            elif key not in new.files:
                if not stale and (settings.root / key).is_file():
                    new.files[key] = entries  # not asked for, current: kept as is
                    kept += len(entries)
                else:
                    removed += len(entries)  # the file is gone
    new.save(path)
    return UpdateResult(new, scans, others, added, removed, kept, ignored)


@dataclass(frozen=True)
class Located:
    """A baseline finding found in its file again (for the audit): where it is and its text."""

    record: int
    id: str
    text: str


def locate(settings: HookSettings, key: str, digests: Iterable[str]) -> dict[str, Located]:
    """Find the documents with these content hashes in the file ``key`` (missing ones are absent)."""
    wanted = set(digests)
    path = settings.root / key
    found: dict[str, Located] = {}
    if not path.is_file() or not wanted:
        return found
    reader = ReaderOptions(format=settings.format, text_field=settings.text_field, id_field=settings.id_field)
    for doc in read_documents([str(path)], reader, ReadReport(), allow_empty=True):
        digest = content_hash(normalize(doc.text))
        if digest in wanted and digest not in found:
            found[digest] = Located(doc.record, doc.id, doc.text)
            if len(found) == len(wanted):
                break
    return found
