"""The options commands share, in one place: reading, MinHash and near-duplicates, execution, run control,
and the ``[tool.auditor]`` settings with their precedence.

``auditor scan``, ``filter``, ``report``, ``hook`` and ``baseline`` each call
:func:`resolve_settings` once, naming which of their parameters set which
setting; the precedence (flags given on the command line > ``AUDITOR_*``
variables > the configuration file > defaults) lives in
:func:`auditor.hook.settings.load_settings` alone, so the commands cannot drift apart.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from typing import Any

import click
from click.core import ParameterSource

from auditor.corpus.batches import FingerprintOptions
from auditor.corpus.parallel import BACKENDS, ExecutionOptions
from auditor.estimate.fraction import METHODS
from auditor.features.dedup import DEFAULT_THRESHOLD
from auditor.features.minhash import DEFAULT_NUM_PERM, DEFAULT_SEED
from auditor.hook.settings import HookSettings, load_settings
from auditor.io.documents import DEFAULT_MAX_DOC_CHARS, FORMATS, UTF8, ReaderOptions, check_delimiter, codec_name


class Delimiter(click.ParamType):
    """One character separating CSV cells; ``\\t`` (as typed in a shell) is a tab."""

    name = "char"

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> Any:
        delimiter = "\t" if value == "\\t" else value
        try:
            check_delimiter(delimiter)
        except ValueError as exc:
            self.fail(str(exc), param, ctx)
        return delimiter


class Encoding(click.ParamType):
    """A Python text codec name, checked before anything is read (an unknown one is exit 2, not a failure mid-corpus)."""

    name = "codec"

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> Any:
        try:
            return codec_name(value)
        except ValueError as exc:
            self.fail(str(exc), param, ctx)


def reader_options(command: Callable[..., Any]) -> Callable[..., Any]:
    """The input options shared by every command that reads a corpus (:func:`reader_from` turns them into ReaderOptions)."""
    for decorator in reversed(
        [
            click.option("--format", "fmt", type=click.Choice(FORMATS), default="auto", show_default=True,
                         help="Input format; auto picks it from each file's extension."),
            click.option("--text-field", default="text", show_default=True, help="Field / column holding the text."),
            click.option("--id-field", default=None, help="Field / column holding a document id  [default: id when present, else file:record]."),
            click.option("--csv-delimiter", type=Delimiter(), default=None,
                         help="Character separating the cells of CSV/TSV inputs (\\t: tab)  [default: comma, tab for .tsv; "
                              "when the header then lacks --text-field, the delimiter csv.Sniffer finds]."),
            click.option("--encoding", type=Encoding(), default=UTF8, show_default=True,
                         help="Text encoding of CSV/TSV, JSONL and .txt inputs: a Python codec name (latin-1, cp1252, utf-16, "
                              "...); a UTF-8 byte order mark is skipped. Parquet is always UTF-8."),
            click.option("--strict", is_flag=True, help="Stop with exit 2 at the first bad record instead of skipping it."),
            click.option("--max-doc-chars", type=click.IntRange(min=1), default=DEFAULT_MAX_DOC_CHARS, show_default=True, metavar="N",
                         help="Compute features on the first N characters of a longer document (counted as truncated); "
                              "memory stays bounded whatever one record holds."),
        ]
    ):
        command = decorator(command)
    return command


class FiniteFloat(click.FloatRange):
    """A float in a range that is also finite (FloatRange lets ``nan`` through)."""

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> Any:
        number = super().convert(value, param, ctx)
        if not math.isfinite(number):
            self.fail(f"{value!r} is not a finite number", param, ctx)
        return number


def run_options(command: Callable[..., Any]) -> Callable[..., Any]:
    """--json, --quiet and --debug, shared by the commands that process a corpus."""
    for decorator in reversed(
        [
            click.option("--json", "as_json", is_flag=True, help="Print the summary as JSON on stdout."),
            click.option("--quiet", is_flag=True, help="No progress bar or summary on stderr."),
            click.option("--debug", is_flag=True, help="Show a traceback on errors."),
        ]
    ):
        command = decorator(command)
    return command


class ByteSize(click.ParamType):
    """A number of bytes, with an optional k / M / G suffix (powers of 1024): ``512k``, ``8M``."""

    name = "size"
    _UNITS = {"": 1, "k": 2**10, "m": 2**20, "g": 2**30}

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> Any:
        if isinstance(value, int):
            return value
        text = str(value).strip().lower().removesuffix("b").removesuffix("i")
        unit = text[-1:] if text[-1:] in ("k", "m", "g") else ""
        try:
            size = float(text[: len(text) - len(unit)]) * self._UNITS[unit]
        except ValueError:
            size = math.nan
        if not math.isfinite(size) or size < 1:
            self.fail(f"{value!r} is not a size: give bytes, or a number with k, M or G (e.g. 8M)", param, ctx)
        return int(size)


def execution_options(command: Callable[..., Any]) -> Callable[..., Any]:
    """--jobs, --backend, --scheduler, --shard-size and --resume: how the shards of a corpus are
    processed (never what comes out)."""
    for decorator in reversed(
        [
            click.option("--jobs", type=int, default=None, metavar="N",
                         help="Worker processes; -1: one per core. Local workers: at most one per 8 MiB of input, "
                              "where one pays for its start-up (--shard-size keeps them all)  [default: 1; with --backend "
                              "dask: one per core, or every worker of the --scheduler's cluster]."),
            click.option("--backend", type=click.Choice(BACKENDS), default="loky", show_default=True,
                         help="loky: local processes; dask: a dask.distributed cluster (pip install 'auditor[dask]')."),
            click.option("--scheduler", default=None, metavar="ADDR",
                         help="Address of a running dask scheduler, e.g. tcp://host:8786 (with --backend dask; its workers "
                              "must see the inputs at the same absolute paths)  [default: start a local cluster]."),
            click.option("--shard-size", "shard_bytes", type=ByteSize(), default=None,
                         help="Input per shard, e.g. 8M: the unit of work of a worker and of --resume  "
                              "[default: 1-8M, from the corpus size and the workers]."),
            click.option("--resume", is_flag=True,
                         help="Continue an interrupted run with the same inputs and settings from the shards it "
                              "completed (kept hidden beside the output); the output is the same as an uninterrupted run's."),
        ]
    ):
        command = decorator(command)
    return command


def execution_from(jobs: int | None, backend: str, scheduler: str | None, shard_bytes: int | None = None) -> ExecutionOptions:
    """ExecutionOptions from the flags; contradictions are usage errors (exit 2)."""
    try:
        return ExecutionOptions(jobs=jobs, backend=backend, scheduler=scheduler, shard_bytes=shard_bytes)
    except ValueError as err:
        raise click.UsageError(str(err)) from None


def reader_from(fmt: str, text_field: str, id_field: str | None, strict: bool, max_doc_chars: int,
                csv_delimiter: str | None, encoding: str) -> ReaderOptions:
    """ReaderOptions from the :func:`reader_options` of a command."""
    return ReaderOptions(format=fmt, text_field=text_field, id_field=id_field, strict=strict, max_doc_chars=max_doc_chars,
                         csv_delimiter=csv_delimiter, encoding=encoding)


def near_duplicate_options(command):
    """MinHash and near-duplicate options shared by fingerprint and scan."""
    for decorator in reversed(
        [
            click.option("--num-perm", default=DEFAULT_NUM_PERM, show_default=True, type=click.IntRange(1, 1024),
                         help="MinHash signature length."),
            click.option("--seed", default=DEFAULT_SEED, show_default=True, type=click.IntRange(0, 2**32 - 1),
                         help="MinHash permutation seed."),
            click.option("--dup-threshold", default=DEFAULT_THRESHOLD, show_default=True,
                         type=FiniteFloat(0, 1, min_open=True),
                         help="Estimated Jaccard similarity (word 5-grams) at which documents are near-duplicates."),
            click.option("--near-duplicates/--no-near-duplicates", default=True, show_default=True,
                         help="Cluster near-duplicates (the index holds about 0.6 KB per document)."),
        ]
    ):
        command = decorator(command)
    return command


def refuse_ignored_dup_threshold(near_duplicates: bool) -> None:
    """``--dup-threshold`` with ``--no-near-duplicates`` would be silently ignored: say so instead."""
    source = click.get_current_context().get_parameter_source("dup_threshold")
    if not near_duplicates and source != click.core.ParameterSource.DEFAULT:
        raise click.UsageError("--dup-threshold has no effect with --no-near-duplicates; drop one of them")


def corpus_options(fmt: str, text_field: str, id_field: str | None, strict: bool, max_doc_chars: int, csv_delimiter: str | None,
                   encoding: str, num_perm: int, seed: int, near_duplicates: bool, dup_threshold: float) -> FingerprintOptions:
    """FingerprintOptions from the shared reader and near-duplicate options (after refusing contradictions)."""
    refuse_ignored_dup_threshold(near_duplicates)
    return FingerprintOptions(
        reader=reader_from(fmt, text_field, id_field, strict, max_doc_chars, csv_delimiter, encoding),
        num_perm=num_perm, seed=seed, near_duplicates=near_duplicates, dup_threshold=dup_threshold,
    )


# Setting -> parameter name, for the options every corpus-reading command shares (_common.reader_options).
READER_PARAMETERS = {"format": "fmt", "text_field": "text_field", "id_field": "id_field"}


def config_option(command: Callable[..., Any]) -> Callable[..., Any]:
    """``--config FILE``: the settings file, instead of looking one up."""
    return click.option(
        "--config", type=click.Path(dir_okay=False), default=None,
        help="Settings file: .auditor.toml, or a pyproject.toml with [tool.auditor]  "
             "[default: looked up from the current directory to the repository root].",
    )(command)


def resolve_settings(parameters: Mapping[str, str]) -> HookSettings:
    """The settings of the running command: its flags > ``AUDITOR_*`` > the settings file > defaults.

    ``parameters`` maps a setting (a :class:`~auditor.hook.settings.HookSettings` attribute)
    to the name of the Click parameter that sets it in this command. A parameter
    counts as a flag only when it was typed on the command line: its default
    (``--method em``, ``--format auto``) must not hide the file's value. The
    settings file is ``--config`` when the command has it and it was given.
    """
    ctx = click.get_current_context()
    overrides: dict[str, object] = {}
    flag_names: dict[str, str] = {}
    for setting, parameter in parameters.items():
        if ctx.get_parameter_source(parameter) is ParameterSource.COMMANDLINE:
            overrides[setting] = ctx.params[parameter]
            flag_names[setting] = _flag_of(ctx.command, parameter)
    return load_settings(ctx.params.get("config"), overrides, flag_names=flag_names)


def _flag_of(command: click.Command, parameter: str) -> str:
    """The long form of the option named ``parameter`` (``--max-score``), for messages."""
    option = next(param for param in command.params if param.name == parameter)
    return max(option.opts, key=len)


def settings_options(command: Callable[..., Any]) -> Callable[..., Any]:
    """Options that override ``[tool.auditor]`` (and ``AUDITOR_*`` variables), shared with ``auditor baseline``."""
    for decorator in reversed(
        [
            config_option,
            click.option("--baseline", default=None, type=click.Path(dir_okay=False),
                         help="Baseline file  [default: .auditor-baseline.json at the repository root]."),
            click.option("--model", default=None, type=click.Path(), help="Model directory  [default: the shipped model]."),
            click.option("--threshold", type=FiniteFloat(0, 1), default=None,
                         help="Per document: a posterior given the file (p_machine_given_corpus) above this makes a finding  [default: the model's threshold]."),
            click.option("--method", type=click.Choice(METHODS), default=None,
                         help="Per file: synthetic-fraction estimator  [default: em]."),
            click.option("--fail-above", type=FiniteFloat(0, 1), default=None,
                         help="Per file: a file whose interval lies above this is blocked until the listed documents are removed  [default: 0.10]."),
            click.option("--debug", is_flag=True, help="Show a traceback on errors."),
        ]
    ):
        command = decorator(command)
    return command


# Setting -> parameter of settings_options.
HOOK_PARAMETERS = {"baseline": "baseline", "model": "model", "threshold": "threshold", "method": "method", "fail_above": "fail_above"}


def hook_settings() -> HookSettings:
    """The settings of ``auditor hook`` / ``baseline create|update``: their flags > ``AUDITOR_*`` > file > defaults."""
    return resolve_settings(HOOK_PARAMETERS)
