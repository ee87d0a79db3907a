"""Fixtures the CLI tests share with the stage tests (tests/hook, tests/report)."""

from hook_repo import repo  # noqa: F401 (a temporary data repository for ``auditor hook`` and ``auditor baseline``)
from report_scans import mixed_scan  # noqa: F401 (a scan of sample_data/mixed.jsonl for ``auditor report``)
