"""Finding and reading the settings file: ``.auditor.toml``, or ``[tool.auditor]`` of a ``pyproject.toml``.

Only the file: what its values mean, and how they combine with flags and ``AUDITOR_*``
variables, is :mod:`auditor.hook.settings`. A file is read whole (it is TOML) and only when it
is a regular file of bounded size: a committed link to ``/dev/zero`` must not hang a hook.
"""

from __future__ import annotations

import os
import tomllib
from collections.abc import Mapping
from pathlib import Path

from auditor.errors import ConfigError
from auditor.regular_files import read_regular

CONFIG_FILES = (".auditor.toml", "pyproject.toml")
MAX_CONFIG_BYTES = 16 << 20  # a settings file (a pyproject.toml) is read whole: bounded


def find_config(start: str | os.PathLike[str] = ".") -> tuple[Path, Path | None, Mapping[str, object]]:
    """Look for settings from ``start`` up to the repository root.

    Returns ``(root, config_file, table)``: the first directory with an
    ``.auditor.toml`` or a ``pyproject.toml`` holding ``[tool.auditor]``; failing
    that the repository root (the first directory with ``.git``) with no
    settings; failing that ``start`` itself.
    """
    begin = Path(start).resolve()
    for directory in (begin, *begin.parents):
        for name in CONFIG_FILES:
            candidate = directory / name
            if os.path.lexists(candidate):  # a FIFO or a link to /dev/zero is refused by read_config, not skipped
                table = read_config(candidate, required=name != "pyproject.toml")
                if table is not None:
                    return directory, candidate, table
        if (directory / ".git").exists():
            return directory, None, {}
    return begin, None, {}


def read_config(path: str | os.PathLike[str], required: bool = True) -> Mapping[str, object] | None:
    """The auditor's table in ``path``: ``[tool.auditor]`` of a pyproject.toml, else the top level.

    Returns None for a pyproject.toml without the table unless ``required``.
    """
    path = Path(path)
    try:
        document = tomllib.loads(read_regular(path, MAX_CONFIG_BYTES, "a settings file").decode("utf-8"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as err:
        raise ConfigError(f"{path}: invalid TOML ({err}); fix the file") from None
    except RecursionError:
        raise ConfigError(f"{path}: invalid TOML (nested too deeply); fix the file") from None
    except OSError as err:
        raise ConfigError(f"{path}: cannot read the configuration: {err.strerror or err}") from None
    tool = document.get("tool")
    table = tool.get("auditor") if isinstance(tool, dict) else None
    if table is None:
        if path.name == "pyproject.toml":
            if required:
                raise ConfigError(f"{path}: no [tool.auditor] table; add one or point --config at another file")
            return None
        table = document
    if not isinstance(table, dict):
        raise ConfigError(f"{path}: [tool.auditor] must be a table")
    return table
