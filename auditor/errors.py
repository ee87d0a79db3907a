"""Error types. Library code raises these; the CLI turns them into exit code 2.

Every message names the file (and line, when there is one) and says what to do.
"""

from __future__ import annotations


class AuditorError(Exception):
    """Base class for every error the auditor reports to a user (exit code 2)."""

    exit_code = 2


class InputError(AuditorError):
    """An input path or record cannot be used (unreadable, unknown format, no documents)."""


class ConfigError(AuditorError):
    """An option or configuration value is invalid."""
