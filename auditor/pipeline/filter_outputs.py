"""``auditor filter``'s two outputs, replaced as a pair, and the manifest that vouches for them.

Keep and reject are two files, and two renames are never one atomic step, so a
run interrupted between them (Ctrl-C, SIGKILL, a power cut) must not leave the
new keep file beside the old reject file looking like a pair. How they are
replaced (:func:`commit_pair`), once both are complete under temporary names:

1. the manifest of the new pair is written under a temporary name (a full disk
   fails here, with the old outputs untouched);
2. the old manifest is removed: from now on the old pair is no longer vouched for;
3. the old reject file is removed, then the new keep and reject files are
   renamed into place: at no moment are both paths present from different runs;
4. the manifest is renamed into place, last.

The manifest, ``<keep>.manifest.json`` beside the keep file (schema
:data:`MANIFEST_SCHEMA`), names both files (the reject file relative to the
manifest's directory) with their SHA-256, size and document count, and the run
(a random id, pid, tool version, time). A reader trusts the pair only when the
manifest exists and both hashes match (:func:`verified_pair` checks that): an
absent manifest means a run is replacing the files or was killed while doing
so (run the filter again).

Missing directories of either output are created first (an output named
``clean/2024/keep.jsonl`` needs no ``mkdir``); a run that fails removes those it
created, once empty, so it leaves nothing behind.

While a run writes them it holds both outputs' locks (:mod:`auditor.lock`), so
the leftovers of a killed run (temporary files, scratch directories, and the
``.pending-<pid>-*`` files of earlier versions whose process is gone) are
removed by the next run, and its scratch (the internal scan, Parquet staging)
lives in a directory beside the keep file, never in the system's temporary
directory.
"""

from __future__ import annotations

import contextlib
import datetime
import glob
import json
import os
import re
import secrets
import shutil
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path

from auditor import __version__
from auditor.atomic import directory_of, file_sha256, naming_full_disk, remove_leftovers, scratch_dir, staged_path
from auditor.errors import InputError
from auditor.lock import output_lock
from auditor.regular_files import read_regular

MANIFEST_SCHEMA = "auditor.filter-manifest/1"
MANIFEST_SUFFIX = ".manifest.json"
MAX_MANIFEST_BYTES = 1 << 20  # a manifest is a few hundred bytes; it is read whole


def manifest_path(keep: str | os.PathLike[str]) -> Path:
    """Where the manifest of the pair whose keep file is ``keep`` lives: ``<keep>.manifest.json`` beside it."""
    path = Path(keep)
    return path.with_name(path.name + MANIFEST_SUFFIX)


@dataclass(frozen=True)
class StagedPair:
    """Where a run writes before committing: the temporary keep and reject files, and its scratch directory."""

    keep: Path
    reject: Path
    scratch: Path


@contextlib.contextmanager
def staged_pair(keep: Path, reject: Path) -> Iterator[StagedPair]:
    """Create the outputs' directories, lock both outputs, clear what dead runs left, and yield
    temporary files beside them and a scratch directory.

    Everything staged is removed when the block ends, except what :func:`commit_pair`
    moved into place (and the directories created, when the block fails). Raises
    :class:`~auditor.errors.OutputLocked` when another run writes either output,
    :class:`~auditor.errors.InputError` when a directory cannot be created.
    """
    with contextlib.ExitStack() as stack:
        for option, target in (("--keep", keep), ("--reject", reject)):
            stack.push(_removed_on_failure(_make_directories(target, option)))
        stack.enter_context(output_lock(keep, "--keep"))
        stack.enter_context(output_lock(reject, "--reject"))
        for target in (keep, reject, manifest_path(keep)):
            remove_leftovers(target)
            _remove_dead_pending(target)
        scratch = scratch_dir(keep)
        stack.callback(shutil.rmtree, scratch, True)
        keep_tmp = stack.enter_context(staged_path(keep))
        reject_tmp = stack.enter_context(staged_path(reject))
        yield StagedPair(keep_tmp, reject_tmp, scratch)


def _make_directories(target: Path, option: str) -> list[Path]:
    """Create the missing directories above ``target``, outermost first; return those this call created."""
    missing = []
    directory = directory_of(target)
    while not directory.is_dir() and directory != directory.parent:
        missing.append(directory)
        directory = directory.parent
    created = []
    for directory in reversed(missing):
        try:
            directory.mkdir()
        except FileExistsError:
            if directory.is_dir():  # another run made it meanwhile
                continue
            raise InputError(f"{option} {target}: {directory} exists and is not a directory; choose another path") from None
        except OSError as err:
            raise InputError(f"{option} {target}: cannot create directory {directory} ({err.strerror or err}); "
                             "choose another path") from None
        created.append(directory)
    return created


def _removed_on_failure(created: list[Path]) -> Callable[..., bool]:
    """An exit callback removing the directories ``created`` (innermost first, only while empty) when the block failed."""
    def remove(error_type: type[BaseException] | None, *_: object) -> bool:
        if error_type is not None:
            for directory in reversed(created):
                with contextlib.suppress(OSError):
                    directory.rmdir()
        return False

    return remove


def commit_pair(staged: StagedPair, keep: Path, reject: Path, documents: Mapping[str, int]) -> Path:
    """Move the staged files to ``keep`` and ``reject`` in the order of the module docstring; return the manifest's path.

    ``documents``: the number of documents in each file (``keep``, ``reject``), recorded in the manifest.
    """
    manifest = manifest_path(keep)
    # Directories resolved: the system resolves "../" in the recorded path after following a linked
    # directory, so a path computed from the names as given would miss when one is a link.
    base = os.path.realpath(manifest.parent)
    record = {
        "schema": MANIFEST_SCHEMA,
        "run": {
            "id": secrets.token_hex(16),
            "pid": os.getpid(),
            "tool": {"name": "auditor", "version": __version__},
            "finished": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
        },
    }
    for name, target, file in (("keep", keep, staged.keep), ("reject", reject, staged.reject)):
        location = os.path.join(os.path.realpath(directory_of(target)), target.name)
        record[name] = {"path": os.path.relpath(location, base), "sha256": file_sha256(file),
                        "bytes": file.stat().st_size, "documents": int(documents[name])}
    with staged_path(manifest) as manifest_tmp:
        with naming_full_disk(manifest):
            manifest_tmp.write_text(json.dumps(record, indent=2, sort_keys=True) + "\n", encoding="utf-8")
        # Only removals and renames from here: nothing left to fail for lack of space.
        manifest.unlink(missing_ok=True)
        reject.unlink(missing_ok=True)
        os.replace(staged.keep, keep)
        os.replace(staged.reject, reject)
        os.replace(manifest_tmp, manifest)
    return manifest


def verified_pair(keep: str | os.PathLike[str]) -> dict[str, object]:
    """The manifest of the pair whose keep file is ``keep``, once both files are checked to be the ones it names.

    Raises :class:`~auditor.errors.InputError` when there is no manifest (a run is
    replacing the pair, or was killed while doing so), or when a file's SHA-256
    differs from the manifest's: then keep and reject are not one run's pair.
    """
    manifest = manifest_path(keep)
    again = "run 'auditor filter' again"
    try:
        record = json.loads(read_regular(manifest, MAX_MANIFEST_BYTES, "a manifest").decode("utf-8"))
    except FileNotFoundError:
        raise InputError(f"{manifest}: no manifest: the pair is being replaced, or the run replacing it was interrupted; "
                         f"{again}") from None
    except (OSError, UnicodeDecodeError, json.JSONDecodeError, RecursionError) as err:
        raise InputError(f"{manifest}: unreadable manifest ({err}); {again}") from None
    if not isinstance(record, dict) or record.get("schema") != MANIFEST_SCHEMA:
        raise InputError(f"{manifest}: not a manifest of schema {MANIFEST_SCHEMA}; {again}")
    for name in ("keep", "reject"):
        entry = record.get(name)
        if not isinstance(entry, dict) or not isinstance(entry.get("path"), str):
            raise InputError(f"{manifest}: no {name!r} entry with a path; {again}")
        path = manifest.parent / entry["path"]
        try:
            found = file_sha256(path)
        except OSError as err:
            raise InputError(f"{path}: the {name} file {manifest.name} names cannot be read ({err.strerror or err}); {again}") from None
        if found != entry.get("sha256"):
            raise InputError(f"{path}: not the {name} file {manifest.name} names (missing, or its SHA-256 differs): "
                             f"keep and reject are not one run's pair; {again}")
    return record


# The pending files of auditor versions before the manifest: ".pending-<pid>-<name>", its atomic
# temporary ".pending-<pid>-<name>.tmp-<hex>" and a Parquet scratch "..pending-<pid>-<name>.tmp-<hex>.scratch-<x>".
_PENDING = r"\.?\.pending-(\d+)-{name}(?:\.tmp-[0-9a-f]+(?:\.scratch-\w+)?)?"


def _remove_dead_pending(target: Path) -> None:
    """Remove the pending files earlier versions left for ``target`` when their process is gone."""
    directory = directory_of(target)
    pattern = re.compile(_PENDING.format(name=re.escape(target.name)))
    for leftover in directory.glob(f"*.pending-*-{glob.escape(target.name)}*"):
        match = pattern.fullmatch(leftover.name)
        if match is None or _alive(int(match.group(1))):
            continue
        if leftover.is_dir() and not leftover.is_symlink():
            shutil.rmtree(leftover, ignore_errors=True)
        else:
            with contextlib.suppress(OSError):
                leftover.unlink()


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except (ProcessLookupError, OverflowError):  # gone, or a number no process can have
        return False
    except PermissionError:  # another user's process
        return True
    return True
