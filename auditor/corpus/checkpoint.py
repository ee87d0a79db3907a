"""Completed shards of a run, kept beside its output so that a killed run can resume (``--resume``).

:func:`auditor.corpus.runner.fingerprint` writes every shard it completes, in input
order, to a hidden directory next to its output and reads them back for the final
pass; the directory is removed once the output is in place. A run that is killed
leaves it behind, and a run given ``resume=True`` reads the shards completed then
instead of reading and scoring them again. The output is byte-identical to an
uninterrupted run's: the same shards (the shard size is recorded), the same rows,
the same read reports and annotator state, merged in the same order.

Layout of ``.<output name>.partial/``::

    run.json            format, the run's identity (tool version, inputs with size and
                        modification time, settings, annotator), shard size, and a random
                        run id
    shard-000000.arrow  the shard's rows of the fingerprint table (Arrow IPC, corpus rows)
    shard-000000.npz    the annotator's arrays (``numpy.load(allow_pickle=False)``)
    shard-000000.json   written last, so its presence means the shard is complete: the run
                        id, the shard's index and span (its files with byte ranges or row
                        groups), the SHA-256 of its ``.arrow`` and ``.npz``, read report,
                        text bytes, rows, the annotator's other state

Resuming checks the identity first: a changed input file (size or modification
time), another setting, model or tool version is refused with the differences
named, never mixed with the old shards. Then every shard read back must be of
this run (its run id), of the same part of the input as the shard planned now
(index and span) and hold the very files it recorded (hashes): a shard copied
from another checkpoint, renamed, or edited is refused, never read out of order.
Nothing in the directory is unpickled: it sits in a directory anyone may write
to (a data repository), so it is only data.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import secrets
import shutil
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pyarrow as pa

from auditor.atomic import atomic_path, file_sha256
from auditor.corpus.batches import AnnotatorState
from auditor.errors import InputError
from auditor.io.problems import ReadReport
from auditor.regular_files import read_regular

if TYPE_CHECKING:
    from auditor.io.formats.interface import Piece

FORMAT = "auditor.checkpoint/2"
RUN_FILE = "run.json"
_SHARD_RE = re.compile(r"shard-(\d{6,})\.json")

def checkpoint_dir(output: str | os.PathLike[str]) -> Path:
    """Where the completed shards of a run writing ``output`` are kept."""
    out = Path(output)
    return out.parent / f".{out.name}.partial"


def input_identity(inputs: Sequence[tuple[str, str]]) -> list[list[object]]:
    """Every input file with its format, size and modification time (what a resume must find unchanged)."""
    described: list[list[object]] = []
    for path, fmt in inputs:
        try:
            stat = os.stat(path) if path != "-" else None
        except OSError:
            stat = None  # unreadable: the reader reports it; unchanged if still unreadable
        described.append([os.path.abspath(path) if path != "-" else path, fmt,
                          stat.st_size if stat else None, stat.st_mtime_ns if stat else None])
    return described


Span = list[list[object]]  # a shard's pieces: [path, format, start, stop, first record] each


@dataclass
class SavedShard:
    """A completed shard: its counts, read report, the annotator's state and the span of input it covers."""

    rows: int
    text_bytes: int
    report: ReadReport
    annotation: AnnotatorState | None
    span: Span | None = None


class Checkpoint:
    """The completed shards of one run (see the module docstring); create with :meth:`open`."""

    def __init__(self, directory: Path, schema: pa.Schema, shard_bytes: int, completed: frozenset[int], run: str):
        self.directory, self.schema, self.shard_bytes, self.completed = directory, schema, shard_bytes, completed
        self.run = run  # the random id every shard of this checkpoint records

    @classmethod
    def open(cls, output: str | os.PathLike[str], identity: Mapping[str, object], schema: pa.Schema,
             shard_bytes: int, resume: bool) -> Checkpoint:
        """Start a run's checkpoint, or with ``resume`` continue the one left by an interrupted run.

        Without ``resume`` any previous checkpoint is discarded. With it, a checkpoint of
        another run (the differences are named) raises :class:`InputError`; no checkpoint
        at all starts from the beginning. ``shard_bytes``: the shard size of a fresh run (a
        resumed run keeps the recorded one, so its shards are the same).
        """
        directory = checkpoint_dir(output)
        run_file = directory / RUN_FILE
        if resume and run_file.is_file():
            recorded = _read_json(run_file)
            if recorded.get("format") != FORMAT or not isinstance(recorded.get("shard_bytes"), int) \
                    or not isinstance(recorded.get("run"), str):
                raise InputError(f"{run_file}: not a checkpoint this version of auditor can resume; run again without --resume")
            changed = [key for key in sorted(set(identity) | set(recorded.get("identity", {})))
                       if identity.get(key) != recorded.get("identity", {}).get(key)]
            if changed:
                raise InputError(
                    f"{directory}: the interrupted run had other {', '.join(changed)} (an input file changed, or "
                    "another setting, model or version); run again without --resume to start over"
                )
            completed = frozenset(int(m.group(1)) for name in os.listdir(directory) if (m := _SHARD_RE.fullmatch(name)))
            return cls(directory, schema, int(recorded["shard_bytes"]), completed, str(recorded["run"]))
        discard(output)
        directory.mkdir()
        run = secrets.token_hex(16)
        with atomic_path(run_file) as tmp:
            tmp.write_text(json.dumps({"format": FORMAT, "identity": identity, "shard_bytes": shard_bytes, "run": run},
                                      indent=2, sort_keys=True) + "\n", encoding="utf-8")
        return cls(directory, schema, shard_bytes, frozenset(), run)

    def _path(self, index: int, suffix: str) -> Path:
        return self.directory / f"shard-{index:06d}{suffix}"

    @staticmethod
    def _files(annotated: bool) -> tuple[str, ...]:
        """The suffixes of a shard's data files (the ``.json`` records their hashes)."""
        return (".arrow", ".npz") if annotated else (".arrow",)

    @contextlib.contextmanager
    def writer(self, index: int) -> Iterator[ShardWriter]:
        """Write shard ``index``: its tables, then :meth:`ShardWriter.complete`. Nothing is kept on error."""
        with atomic_path(self._path(index, ".arrow")) as tmp, pa.OSFile(str(tmp), "wb") as sink, \
                pa.ipc.new_file(sink, self.schema) as ipc:
            writer = ShardWriter(ipc)
            yield writer
        if writer.saved is None:
            raise RuntimeError(f"shard {index} was written but never completed")
        annotation = writer.saved.annotation
        if annotation is not None:
            with atomic_path(self._path(index, ".npz")) as tmp, open(tmp, "wb") as handle:
                np.savez(handle, **annotation[1])  # type: ignore[arg-type]  # numpy's stub allows a key allow_pickle (a bool) in **arrays; the annotator's array names never are
        record = {"rows": writer.saved.rows, "text_bytes": writer.saved.text_bytes, "report": writer.saved.report.to_state(),
                  "annotation": annotation[0] if annotation is not None else None,
                  # What ties the shard to this run, to its place in the input and to its other files.
                  "run": self.run, "index": index, "span": writer.saved.span,
                  "sha256": {suffix: file_sha256(self._path(index, suffix)) for suffix in self._files(annotation is not None)}}
        with atomic_path(self._path(index, ".json")) as tmp:  # last: the shard is complete
            tmp.write_text(json.dumps(record, sort_keys=True, allow_nan=False), encoding="utf-8")

    def load(self, index: int, span: Span | None) -> SavedShard:
        """The counts, read report and annotator state of completed shard ``index``.

        ``span``: the input the shard planned now covers; a shard recorded by another run, for
        another part of the input, or whose files are not the ones it recorded is refused.
        """
        path = self._path(index, ".json")
        record = _read_json(path)
        if record.get("run") != self.run:
            raise InputError(f"{path}: a shard of another run (not the one {self.directory / RUN_FILE} records); "
                             "run again without --resume")
        if record.get("index") != index or record.get("span") != _canonical(span):
            raise InputError(f"{path}: this shard covers another part of the input than shard {index} of this run "
                             f"(recorded: {record.get('span')!r}); run again without --resume")
        hashes = record.get("sha256")
        for suffix in self._files(record.get("annotation") is not None):
            file = self._path(index, suffix)
            try:
                found = file_sha256(file)
            except OSError as err:
                raise InputError(f"{file}: damaged checkpoint ({err.strerror or err}); run again without --resume") from None
            if not isinstance(hashes, dict) or hashes.get(suffix) is None or found != hashes[suffix]:
                raise InputError(f"{file}: damaged checkpoint (not the file {path.name} recorded: its SHA-256 differs); "
                                 "run again without --resume")
        try:
            annotation = None
            if record["annotation"] is not None:
                with np.load(self._path(index, ".npz"), allow_pickle=False) as arrays:
                    annotation = (record["annotation"], {name: arrays[name] for name in arrays.files})
            return SavedShard(int(record["rows"]), int(record["text_bytes"]), ReadReport.from_state(record["report"]), annotation,
                              record["span"])
        except (KeyError, TypeError, ValueError, OSError) as err:
            raise InputError(f"{path}: damaged checkpoint ({err}); run again without --resume") from None

    def batches(self, index: int) -> Iterator[pa.RecordBatch]:
        """The rows of shard ``index``, batch by batch (read, not memory-mapped: mapped pages count as RSS)."""
        path = self._path(index, ".arrow")
        try:
            with pa.OSFile(str(path), "rb") as source:
                reader = pa.ipc.open_file(source)
                if not reader.schema.equals(self.schema):
                    raise ValueError("its columns are not this run's")
                for i in range(reader.num_record_batches):
                    yield reader.get_batch(i)
        except (OSError, ValueError, pa.ArrowInvalid) as err:
            raise InputError(f"{path}: damaged checkpoint ({err}); run again without --resume") from None


class ShardWriter:
    """Appends a shard's tables; :meth:`complete` records what the shard's last part carries."""

    def __init__(self, ipc: pa.ipc.RecordBatchFileWriter):
        self._ipc = ipc
        self.saved: SavedShard | None = None

    def write(self, table: pa.Table) -> None:
        self._ipc.write_table(table)

    def complete(self, saved: SavedShard) -> None:
        self.saved = saved


def discard(output: str | os.PathLike[str]) -> None:
    """Remove the checkpoint of a run writing ``output``, if any (a finished or abandoned run)."""
    shutil.rmtree(checkpoint_dir(output), ignore_errors=True)


def shard_span(pieces: Sequence[Piece]) -> Span:
    """The span of a shard's pieces (:class:`auditor.corpus.shards.Piece`) as recorded in its checkpoint files."""
    return _canonical([[p.open_path, p.fmt, p.start, p.stop, p.first_record] for p in pieces])


def _canonical(value: object) -> Any:  # decoded JSON
    """``value`` as it reads back from JSON (tuples become lists), so recorded and planned spans compare equal."""
    return json.loads(json.dumps(value))


def _read_json(path: Path) -> dict[str, Any]:  # decoded JSON: every use checks or converts what it takes
    try:
        value = json.loads(read_regular(path, None, "a checkpoint record").decode("utf-8"))  # a FIFO planted here must not hang
    except (OSError, UnicodeDecodeError, json.JSONDecodeError, RecursionError) as err:
        raise InputError(f"{path}: damaged checkpoint ({err}); run again without --resume") from None
    if not isinstance(value, dict):
        raise InputError(f"{path}: damaged checkpoint (not a JSON object); run again without --resume")
    return value
