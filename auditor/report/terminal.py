"""A command's summary on the terminal: the lines ``auditor scan`` and ``auditor fingerprint`` print on stderr.

Each function returns lines (no printing): the CLI echoes them, tests compare them. The
wording of shared facts comes from :mod:`auditor.report.text` and :mod:`auditor.report.headline`.
"""

from __future__ import annotations


from auditor.corpus.parallel import WORKER_MIN_BYTES
from auditor.report.headline import at_estimate, headline
from auditor.report.text import drift_verdict, format_counts, plural
from auditor.summary import FingerprintSummary, NearDuplicateBlock, ReadBlocks, ScanSummary


def throughput_line(verb: str, documents: int, text_bytes: int, seconds: float, suffix: str = "") -> str:
    """``<verb> N documents (X MB) in S s (R MB/s, D docs/s)<suffix>``."""
    elapsed = max(seconds, 1e-9)
    return (f"{verb} {documents:,} documents ({text_bytes / 1e6:.1f} MB) in {seconds:.1f} s "
            f"({text_bytes / 1e6 / elapsed:.1f} MB/s, {documents / elapsed:,.0f} docs/s){suffix}")


def workers_lines(asked: int, used: int) -> list[str]:
    """Why a run used fewer local workers than ``--jobs`` asked for (:meth:`~auditor.corpus.parallel.ExecutionOptions.sized_for`)."""
    if used >= asked:
        return []
    where = "in this process" if used == 1 else f"in {used} workers"
    return [f"ran {where}, not {asked} workers: a worker pays for its start-up from {WORKER_MIN_BYTES / 2**20:.0f} MiB of "
            "input each (--shard-size keeps every worker asked for)"]


def resumed_lines(resumed: int, shards: int) -> list[str]:
    """``resumed N of M shards ...`` when a run continued an interrupted one."""
    if not resumed:
        return []
    return [f"resumed {resumed:,} of {plural(shards, 'shard')} from the interrupted run (throughput above counts them)"]


def read_summary_lines(summary: ReadBlocks) -> list[str]:
    """Skipped and repaired records by reason, the first problems, notes, and the files not read.

    A note (a file read other than as asked: a sniffed CSV delimiter) is a problem whose reason no
    count holds: it gets a line of its own, unindented, one per distinct detail with the number of
    files it concerns (a folder of semicolon exports gets one line, not one per file).
    Files skipped under a directory or glob are said to be not corpus files rather than offered to
    ``--format``: they are licences, READMEs and notes far more often than data.
    """
    lines = []
    counted: set[str] = set()
    for kind in ("skipped", "repaired"):
        block = summary[kind]
        counted.update(block["by_reason"])
        if block["total"]:
            lines.append(f"{kind} {block['total']} records: {format_counts(block['by_reason'])}")
    problems = summary.get("problems", [])
    for problem in [p for p in problems if p["reason"] in counted][:5]:
        lines.append(f"  {problem['location']}: {problem['reason']}: {problem['detail']}")
    notes: dict[str, list[str]] = {}
    for problem in problems:
        if problem["reason"] not in counted:
            notes.setdefault(problem["detail"], []).append(problem["location"])
    for detail, locations in notes.items():
        more = f" and {plural(len(locations) - 1, 'more file')}" if len(locations) > 1 else ""
        lines.append(f"note: {locations[0]}{more}: {detail}")
    ignored = summary.get("ignored_files")
    if ignored:
        lines.append(f"skipped {plural(len(ignored), 'non-corpus file')}, not read (first: {ignored[0]}); if they hold "
                     "documents, rename them to a corpus extension (.txt, .jsonl, .csv, ...) or read them with --format")
    return lines


def near_duplicate_lines(near: NearDuplicateBlock) -> list[str]:
    if not near.get("enabled"):
        return []
    return [f"near-duplicates: {near['clusters']} clusters holding {near['documents_in_clusters']} documents "
            f"({near['fraction_in_clusters']:.1%}) at Jaccard >= {near['threshold']}"]


def evasion_lines(summary: FingerprintSummary) -> list[str]:
    evasion = summary.get("evasion") or {}
    if not evasion.get("documents"):
        return []
    return [f"evasion characters: {evasion['documents']:,} documents hold {evasion['characters']:,} invisible or "
            "look-alike characters (removed or folded before scoring; see evasion_chars)"]


def fingerprint_lines(summary: FingerprintSummary) -> list[str]:
    """What ``auditor fingerprint`` says after its throughput line."""
    return [*read_summary_lines(summary), *near_duplicate_lines(summary["near_duplicates"]), *evasion_lines(summary)]


def scan_lines(summary: ScanSummary) -> list[str]:
    """What ``auditor scan`` says after its throughput line: problems, the estimate and its references,
    flags, known-synthetic matches, near-duplicates, evasion, the drift verdict."""
    fraction, flagged = summary["synthetic_fraction"], summary["flagged"]
    references = fraction["reference"]
    human = references["human"]
    what = "date" if "before" in human else "value"
    unread = "".join(f", {human[key]:,} {text}" for key, text in (("missing", f"without a {what}"), ("unreadable", f"with an unreadable {what}"))
                     if human.get(key))
    lines = [
        *read_summary_lines(summary),
        headline(fraction),
        f"  method {fraction['method']}; human reference: {human['source']} ({human['documents']:,} documents{unread}); "
        f"machine reference: {references['machine']['source']} ({references['machine']['documents']:,} documents)",
        f"flagged {flagged['count']:,} documents at p_synthetic >= {flagged['threshold']:.4f}",
    ]
    known = summary["known_synthetic"]
    if known is not None:
        lines.append(f"known synthetic: {known['matched']:,} documents match {known['index']} at Jaccard >= {known['threshold']} "
                     "(counted as machine)")
    lines += near_duplicate_lines(summary["near_duplicates"])
    lines += evasion_lines(summary)
    lines += drift_verdict(summary["projection"], fraction["estimate"], at_estimate(fraction))  # as the reports say it
    return lines
