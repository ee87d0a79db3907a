"""Fixtures the report's tests share with tests/cli."""

from report_scans import mixed_scan  # noqa: F401 (a scan of sample_data/mixed.jsonl)
