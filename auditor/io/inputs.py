"""From what the user names (files, directories, globs, ``-``) to ``[(file, format)]`` in reading order."""

from __future__ import annotations

import glob
import os
from collections.abc import Sequence

from auditor.errors import InputError
from auditor.io import source
from auditor.io.documents import FORMATS, ReaderOptions
from auditor.io.formats import SUPPORTED_EXTENSIONS, format_for
from auditor.io.problems import ReadReport

_GLOB_CHARS = frozenset("*?[")


def _check_format(fmt: str) -> None:
    if fmt not in FORMATS:
        raise ValueError(f"format must be one of {', '.join(FORMATS)}, not {fmt!r}")


def _walk(root: str) -> list[str]:
    """Relative paths of the non-hidden files under ``root``, sorted by path components.

    Sorting the complete list (rather than trusting walk order) makes the order
    independent of the filesystem; symlinked directories are followed once.
    """
    found: list[tuple[str, ...]] = []
    seen: set[str] = set()

    def visit(directory: str, parts: tuple[str, ...]) -> None:
        real = os.path.realpath(directory)
        if real in seen:
            return  # a symlink cycle, or the same folder reached twice
        seen.add(real)
        try:
            with os.scandir(directory) as entries:
                children = sorted(entries, key=lambda e: e.name)
        except PermissionError:
            raise InputError(f"{directory}: permission denied; check the directory's permissions") from None
        except OSError as exc:
            raise InputError(f"{directory}: cannot list directory: {exc.strerror or exc}") from None
        for entry in children:
            if entry.name.startswith("."):
                continue  # .git, .cache, editor swap files: never corpus data
            if entry.is_dir():
                visit(entry.path, parts + (entry.name,))
            else:
                found.append(parts + (entry.name,))

    visit(root, ())
    return [os.path.join(*parts) for parts in sorted(found)]


def _expand_directory(path: str, fmt: str, ignored: list[str]) -> list[tuple[str, str]]:
    files: list[tuple[str, str]] = []
    skipped: list[str] = []
    for relative in _walk(path):
        full = os.path.join(path, relative)
        resolved = fmt if fmt != "auto" else format_for(full)
        if resolved is None:
            skipped.append(full)
        else:
            _check_discovered(full)
            files.append((full, resolved))
    ignored.extend(skipped)
    return files


def _check_discovered(path: str) -> None:
    """Fail fast, as for a path given explicitly, on a data file found in a folder or glob that cannot be read.

    A dangling symlink (a git-annex file whose content is not fetched, a link loop) would
    otherwise fail only when reached, as "no such file" or "not a valid Parquet file"; a FIFO or
    a link to a device (``/dev/zero``) would hang the run: only regular files are read.
    """
    if not os.path.exists(path):
        raise InputError(f"{source.display_path(path)}: broken symbolic link (or a link loop); check the path")
    source.check_input_file(path)
    if not os.access(path, os.R_OK):
        raise InputError(f"{source.display_path(path)}: permission denied; check the file's permissions")


def _no_supported_files(path: str, skipped: list[str]) -> InputError:
    if not skipped:
        return InputError(f"{path}: directory contains no files (hidden files are skipped); check the path")
    examples = ", ".join(skipped[:3]) + (", ..." if len(skipped) > 3 else "")
    return InputError(
        f"{path}: no supported files ({len(skipped)} ignored: {examples}); supported extensions: "
        f"{SUPPORTED_EXTENSIONS}; pass --format to read them as one format"
    )


def _expand_glob(pattern: str, fmt: str, ignored: list[str]) -> list[tuple[str, str]]:
    matches = sorted(glob.glob(pattern, recursive=True))
    if not matches:
        raise InputError(f"no files match '{pattern}': check the pattern and quoting")
    files: list[tuple[str, str]] = []
    skipped: list[str] = []
    seen: set[str] = set()
    # "dir/**" matches a folder and the files in it: keep each file once.
    for match in matches:
        if os.path.isdir(match):
            candidates = _expand_directory(match, fmt, skipped)
        else:
            resolved = fmt if fmt != "auto" else format_for(match)
            if resolved is None:
                skipped.append(match)
                continue
            _check_discovered(match)
            candidates = [(match, resolved)]
        for file, resolved in candidates:
            key = os.path.normpath(file)
            if key not in seen:
                seen.add(key)
                files.append((file, resolved))
    unique_skipped = list(dict.fromkeys(skipped))
    if not files:
        raise _no_supported_files(pattern, unique_skipped)
    ignored.extend(unique_skipped)
    return files


def expand_inputs(paths: Sequence[str], fmt: str = "auto", *, ignored: list[str] | None = None) -> list[tuple[str, str]]:
    """Resolve user inputs into ``[(file, format)]`` in reading order.

    Directories are walked recursively in sorted order (hidden entries
    skipped); a non-existent path with ``*?[`` is a glob; ``-`` is standard
    input (JSONL unless ``fmt`` is csv or txt). Files found in directories or
    globs whose extension is unsupported are appended to ``ignored`` (when
    given) instead of being read. Raises :class:`InputError` for missing,
    unreadable or unrecognisable inputs.
    """
    _check_format(fmt)
    if isinstance(paths, (str, os.PathLike)):
        paths = [paths]  # a lone path, not a sequence of one-character paths
    sink: list[str] = ignored if ignored is not None else []
    result: list[tuple[str, str]] = []
    for given in paths:
        path = os.fspath(given)
        if path == "-":
            if fmt == "parquet":
                raise InputError("-: Parquet cannot be read from standard input (it needs a seekable file); save it to a file and pass its path")
            result.append((path, "jsonl" if fmt == "auto" else fmt))
        elif os.path.isdir(path):
            found: list[str] = []
            files = _expand_directory(path, fmt, found)
            if not files:
                raise _no_supported_files(path, found)
            sink.extend(found)
            result.extend(files)
        elif os.path.lexists(path):
            if not os.path.exists(path):
                raise InputError(f"{path}: broken symbolic link; check the path")
            source.check_input_file(path)
            if not os.access(path, os.R_OK):
                raise InputError(f"{path}: permission denied; check the file's permissions")
            resolved = fmt if fmt != "auto" else format_for(path)
            if resolved is None:
                raise InputError(
                    f"{path}: unknown format; supported extensions: {SUPPORTED_EXTENSIONS}; "
                    "pass --format jsonl|parquet|csv|txt to read it anyway"
                )
            result.append((path, resolved))
        elif _GLOB_CHARS.intersection(path):
            result.extend(_expand_glob(path, fmt, sink))
        else:
            raise InputError(f"{path}: no such file or directory; check the path")
    return result


def resolve_inputs(paths: Sequence[str], options: ReaderOptions, report: ReadReport) -> list[tuple[str, str]]:
    """``expand_inputs`` for a read: refuses an empty list; ignored files go to ``report``."""
    if not paths:
        raise InputError("no input paths given; pass at least one file, directory, glob or '-'")
    ignored: list[str] = []
    inputs = expand_inputs(paths, options.format, ignored=ignored)
    # Listed in summaries and reports, which must be encodable: a non-UTF-8 name is escaped.
    report.ignored_files.extend(source.display_path(path) for path in ignored)
    return inputs
