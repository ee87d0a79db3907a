"""The pre-commit hook: settings from [tool.auditor], the baseline of accepted findings, the check of staged files, baseline updates."""
