"""The hook's verdicts as a user or a program reads them: why a document is listed, and ``--json``.

``auditor hook --json`` prints one JSON document (schema ``auditor.hook/1``). It says everything the text output says, and lists every finding (``--max-shown``
bounds only the text): what was checked, skipped and ignored, each file's estimate and
findings, the baseline's state, the fix and the exit code, so that a CI step can act on it
without parsing lines. Paths are as the text output shows them: relative to the current directory.
"""

from __future__ import annotations

import os

import numpy as np

from auditor.estimate.posterior import COLUMN as POSTERIOR
from auditor.estimate.posterior import ScoreRule
from auditor.hook.run import FileVerdict, HookResult, ScoredDocument, relative_to_cwd
from auditor.hook.settings import HookSettings

SCHEMA = "auditor.hook/1"
REJECTED_REASON = "rejected in the baseline audit: remove it"


def finding_reason(doc: ScoredDocument, threshold: float) -> str:
    """Why a new finding is listed: its posterior reached the threshold, or the file is still over without it."""
    rule = ScoreRule(POSTERIOR, threshold)  # the hook's finding rule (auditor.hook.run)
    if rule.rejects(np.float64(doc.posterior)):
        return rule.reason(doc.posterior)
    return f"{POSTERIOR} {doc.posterior:.2f}; the file is over fail-above without it"


def _document(doc: ScoredDocument, reason: str) -> dict[str, object]:
    return {"record": doc.record, "id": doc.id, "p_synthetic": doc.p_synthetic, "p_machine_given_corpus": doc.posterior,
            "sha256": doc.digest, "reason": reason}


def _file(settings: HookSettings, verdict: FileVerdict) -> dict[str, object]:
    scan = verdict.scan
    return {
        "path": relative_to_cwd(settings, scan.key),
        "blocked": verdict.blocked,
        "documents": scan.documents,
        "skipped_records": dict(scan.skipped),
        "synthetic_fraction": dict(scan.fraction),
        "fail_above": scan.fail_above,
        "over_fail_above": scan.over,
        "without_listed": dict(scan.remaining) if scan.remaining is not None else None,
        "threshold": scan.threshold,
        "findings": len(scan.flagged),
        "accepted": verdict.accepted,
        "new": [_document(doc, finding_reason(doc, scan.threshold)) for doc in verdict.new],
        "rejected": [_document(doc, REJECTED_REASON) for doc in verdict.rejected],
    }


def hook_json(settings: HookSettings, result: HookResult, exit_code: int, fix: str | None) -> dict[str, object]:
    """The document ``--json`` prints: ``exit_code`` is the hook's, ``fix`` the command the text output prints (None: none)."""
    return {
        "schema": SCHEMA,
        "exit_code": exit_code,
        "files": [_file(settings, verdict) for verdict in result.files],
        "skipped": [{"path": path, "reason": "auditor output", "what": kind} for path, kind in result.outputs.items()],
        "ignored": list(result.ignored),
        "baseline": {"path": os.path.relpath(settings.baseline_path), "rewritten": result.rewritten, "stale": list(result.stale),
                     "rescored": [relative_to_cwd(settings, key) for key in result.rescored]},
        "fix": fix,
    }
