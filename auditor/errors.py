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


class OutputError(AuditorError):
    """An output cannot be written: another run holds its location, or the disk is full."""


class OutputLocked(OutputError):
    """Another run is writing to the same output location (it holds the location's lock)."""


class OutOfSpace(OutputError):
    """The file system ran out of space (or quota) while an output was being written."""
