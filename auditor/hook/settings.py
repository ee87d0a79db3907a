"""Settings of every command that takes them, from ``[tool.auditor]`` and the environment.

``auditor scan``, ``filter``, ``report``, ``hook`` and ``baseline`` resolve their settings
here, once per invocation, so that in one repository they all flag, estimate and read
alike. A data repository configures the auditor in ``.auditor.toml`` (keys at the top
level) or in the ``[tool.auditor]`` table of its ``pyproject.toml``::

    [tool.auditor]
    fail-above = 0.10              # per file: estimated synthetic fraction tolerated
    threshold = 0.95               # per document: p_synthetic that makes a finding
    baseline = ".auditor-baseline.json"
    model = "models/detector"      # default: the shipped model
    reference-human = ["refs/human.jsonl"]

    [tool.auditor.files."generated/*"]   # per-file overrides, first matching pattern wins
    fail-above = 1.0                     # with threshold 1.0: machine text allowed here
    threshold = 1.0

Precedence: command-line flags > ``AUDITOR_*`` environment variables
> the configuration file > defaults, resolved once by :func:`load_settings` into
a frozen :class:`HookSettings`, which records where each value came from
(:class:`Source`).

The file is looked up from the current directory upwards (:func:`~auditor.hook.config_file.find_config`):
the first directory holding ``.auditor.toml``, or a ``pyproject.toml`` with a
``[tool.auditor]`` table, wins; the search stops at the repository root (the
first directory holding ``.git``). ``--config FILE`` names the file instead.
Paths in the file are relative to its directory; paths given as flags or in
``AUDITOR_*`` variables are relative to the current directory.
"""

from __future__ import annotations

import fnmatch
import os
from collections.abc import Mapping
from dataclasses import dataclass, field, fields
from pathlib import Path, PurePosixPath
from typing import Any

from auditor.errors import ConfigError, InputError
from auditor.estimate.fraction import METHODS
from auditor.hook.config_file import find_config, read_config
from auditor.io.documents import FORMATS

DEFAULT_BASELINE = ".auditor-baseline.json"
# The settings a baseline records (HookSettings.recorded); a baseline holding another key is refused.
RECORDED_SETTINGS = frozenset({"fail-above", "threshold", "method", "text-field", "format", "reference-human", "files", "model-sha256",
                               "finding"})
# The rule a finding follows; recorded in baselines so one made under an earlier rule is stale.
FINDING_RULE = "p_machine_given_corpus > threshold; files listed until within fail-above"
# Files are blocked only above this estimated fraction: the shipped model's threshold allows up to
# 5% false positives in a human domain, so a tolerance of 0 would stop ordinary human text.
DEFAULT_FAIL_ABOVE = 0.10
# Environment variables, by setting (AUDITOR_MODEL is also how the shipped model is overridden).
ENVIRONMENT = {
    "fail_above": "AUDITOR_FAIL_ABOVE",
    "threshold": "AUDITOR_THRESHOLD",
    "baseline": "AUDITOR_BASELINE",
    "model": "AUDITOR_MODEL",
    "method": "AUDITOR_METHOD",
    "text_field": "AUDITOR_TEXT_FIELD",
    "id_field": "AUDITOR_ID_FIELD",
    "format": "AUDITOR_FORMAT",
}
# Settings whose variable holds a path (made absolute when read); the others are names.
_PATH_VARIABLES = ("baseline", "model")
# Kinds of Source: where a setting's value came from.
FLAG, ENVIRONMENT_VARIABLE, CONFIG_FILE = "flag", "environment", "file"


@dataclass(frozen=True)
class Source:
    """Where a setting's value came from: its kind and the name a user would look for.

    ``name`` is the flag (``--threshold``), the variable (``$AUDITOR_THRESHOLD``) or the
    configuration file's path; a setting left at its default has no Source.
    """

    kind: str
    name: str

    def __str__(self) -> str:
        return self.name


@dataclass(frozen=True)
class FileRule:
    """Per-file overrides for paths matching ``pattern`` (``fnmatch``, ``*`` crosses ``/``)."""

    pattern: str
    fail_above: float | None = None
    threshold: float | None = None


@dataclass(frozen=True)
class HookSettings:
    """Everything the commands need, resolved once (named for the hook, their first user).

    Attributes:
        root: the directory paths are relative to (the configuration file's, else
            the repository root); baseline keys are POSIX paths relative to it.
        config_file: where the settings came from (None: defaults only).
        fail_above: per file, the synthetic fraction the lower end of a file's interval
            may not exceed (the hook then lists documents until the rest is within it;
            ``auditor scan`` exits 1 on the same test).
        threshold: per document, the posterior given the file (``p_machine_given_corpus``)
            above which a document is a finding; for ``auditor scan``, the ``p_synthetic``
            it flags at (None: the model's own threshold).
        baseline: the baseline file, relative to ``root`` unless absolute.
        model: model directory, relative to ``root`` unless absolute (None: the shipped one).
        method: synthetic-fraction estimator (``em``, ``acc``, ``cc``).
        text_field / id_field / format: how data files are read.
        reference_human: known-human documents of the repository's own domain
            (relative to ``root``): they calibrate the per-file estimate.
        files: per-file overrides, first match wins.
        sources: where each setting not left at its default came from, by attribute name.
    """

    root: Path
    config_file: Path | None = None
    fail_above: float = DEFAULT_FAIL_ABOVE
    threshold: float | None = None
    baseline: str = DEFAULT_BASELINE
    model: str | None = None
    method: str = "em"
    text_field: str = "text"
    id_field: str | None = None
    format: str = "auto"
    reference_human: tuple[str, ...] = ()
    files: tuple[FileRule, ...] = field(default=())
    sources: Mapping[str, Source] = field(default_factory=dict, compare=False, repr=False)

    def __post_init__(self) -> None:
        where = self.config_file or "settings"
        _check_fraction(self.fail_above, f"{where}: fail-above")
        if self.threshold is not None:
            _check_fraction(self.threshold, f"{where}: threshold")
        if self.method not in METHODS:
            raise ConfigError(f"{where}: method must be one of {', '.join(METHODS)}, not {self.method!r}")
        if self.format not in FORMATS:
            raise ConfigError(f"{where}: format must be one of {', '.join(FORMATS)}, not {self.format!r}")
        if not self.text_field:
            raise ConfigError(f"{where}: text-field must be a non-empty field name")

    @property
    def baseline_path(self) -> Path:
        return self.root / self.baseline

    @property
    def model_path(self) -> Path | None:
        return None if self.model is None else Path(self._located("model", self.model))

    def reference_paths(self) -> list[str]:
        return [self._located("reference_human", path) for path in self.reference_human]

    def given(self, name: str) -> bool:
        """Whether setting ``name`` was given (flag, environment or file) rather than left at its default."""
        return name in self.sources

    def how_to_set(self, key: str, value: str) -> str:
        """Where to write ``key = value`` so that every command and commit uses it: this repository's settings file."""
        if self.config_file is None:
            return f"{key} = {value} under [tool.auditor] in pyproject.toml (or in .auditor.toml)"
        table = "under [tool.auditor] " if self.config_file.name == "pyproject.toml" else ""
        return f"{key} = {value} {table}in {os.path.relpath(self.config_file)}"

    def _located(self, name: str, path: str) -> str:
        # A path typed as a flag is relative to where it was typed and shown as typed (error
        # messages, summary.json); the environment's are made absolute when read (root / an
        # absolute path is that path); the file's are relative to the file.
        source = self.sources.get(name)
        return path if source is not None and source.kind == FLAG else str(self.root / path)

    def rule_for(self, key: str) -> tuple[float, float | None]:
        """``(fail_above, threshold)`` for the file with baseline key ``key``."""
        for rule in self.files:
            if fnmatch.fnmatchcase(key, rule.pattern):
                return (
                    self.fail_above if rule.fail_above is None else rule.fail_above,
                    self.threshold if rule.threshold is None else rule.threshold,
                )
        return self.fail_above, self.threshold

    def key_for(self, path: str | os.PathLike[str]) -> str:
        """The baseline key of ``path``: POSIX, relative to ``root``; raises ConfigError outside it."""
        relative = _relative(Path(path), self.root)
        if relative is None:
            raise ConfigError(f"{path} is outside the repository root {self.root}: run the auditor from inside the repository")
        return PurePosixPath(*Path(relative).parts).as_posix()

    def recorded(self, model_sha256: str, model_threshold: float, reference_sha256: Mapping[str, str] | None = None) -> dict[str, object]:
        """What a baseline records of these settings; a difference makes the baseline stale.

        Paths (baseline, root) are left out: moving the repository changes nothing.
        ``reference_sha256`` (reference path -> SHA-256 of its content) is recorded
        instead of the reference paths alone, so editing a reference is a change too.
        Per-file rules are a list: their order decides which one applies.
        """
        return {
            "fail-above": self.fail_above,
            "threshold": model_threshold if self.threshold is None else self.threshold,
            "method": self.method,
            "text-field": self.text_field,
            "format": self.format,
            "reference-human": dict(reference_sha256) if reference_sha256 is not None else list(self.reference_human),
            "files": [{"pattern": rule.pattern, "fail-above": rule.fail_above, "threshold": rule.threshold} for rule in self.files],
            "model-sha256": model_sha256,
            # What makes a finding: a baseline recorded under another rule is stale (rewritten, exit 3).
            "finding": FINDING_RULE,
        }


# What a reader says when a file has no text column, or not a text one (auditor.io.formats.csv, .parquet).
READER_ADVICE = "pass --text-field"


def text_field_advice(err: InputError, settings: HookSettings) -> InputError:
    """``err``, when its advice is ``--text-field``, with where the text field in use comes from or can be set once.

    The hook runs under pre-commit with no flag of its own: a reader's "pass --text-field" alone
    would not say that the setting belongs in the repository's settings file.
    """
    if READER_ADVICE not in str(err):
        return err
    source = settings.sources.get("text_field")
    if source is None:
        where = "or set the text field once, for every command and commit: " + settings.how_to_set("text-field", '"<column>"')
    elif source.kind == CONFIG_FILE:
        where = f"the text-field {settings.text_field!r} in use is set in {os.path.relpath(source.name)}: correct it there"
    else:
        where = f"the text-field {settings.text_field!r} in use comes from {source}"
    return InputError(f"{err}; {where}")


def _relative(path: Path, root: Path) -> str | None:
    """``path`` relative to ``root``, or None when outside it.

    Directories are resolved on both sides (a repository reached through a symbolic link
    is still the repository); the file name is not (a linked file stays where it is listed).
    """
    absolute = os.path.abspath(path)
    located = os.path.join(os.path.realpath(os.path.dirname(absolute)), os.path.basename(absolute))
    relative = os.path.relpath(located, os.path.realpath(root))
    return None if relative == ".." or relative.startswith(".." + os.sep) else relative


def _check_fraction(value: object, name: str) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not 0.0 <= float(value) <= 1.0:
        raise ConfigError(f"{name} must be a number between 0 and 1, got {value!r}")
    return float(value)


# Configuration keys -> HookSettings attribute names.
_KEYS = {
    "fail-above": "fail_above",
    "threshold": "threshold",
    "baseline": "baseline",
    "model": "model",
    "method": "method",
    "text-field": "text_field",
    "id-field": "id_field",
    "format": "format",
    "reference-human": "reference_human",
    "files": "files",
}
# Given on the command line, relative to where it runs: made absolute at once, because the baseline's
# path is also shown relative to the current directory and compared with the repository root.
# model and reference-human are kept as typed instead (HookSettings._located).
_CWD_RELATIVE = ("baseline",)
_RULE_KEYS = {"fail-above": "fail_above", "threshold": "threshold"}


def _settings_from_table(table: Mapping[str, object], where: Path) -> dict[str, object]:
    values: dict[str, object] = {}
    for key, value in table.items():
        if key not in _KEYS:
            hint = f" (did you mean {key.replace('_', '-')!r}?)" if key.replace("_", "-") in _KEYS else ""
            raise ConfigError(f"{where}: unknown setting {key!r}{hint}; known settings: {', '.join(_KEYS)}")
        name = _KEYS[key]
        if name == "files":
            values[name] = _file_rules(value, where)
        elif name == "reference_human":
            paths = [value] if isinstance(value, str) else value
            if not isinstance(paths, list) or not all(isinstance(p, str) and p for p in paths):
                raise ConfigError(f"{where}: reference-human must be a path or a list of paths")
            values[name] = tuple(paths)
        elif name in ("fail_above", "threshold"):
            values[name] = _check_fraction(value, f"{where}: {key}")
        elif not isinstance(value, str) or not value:
            raise ConfigError(f"{where}: {key} must be a non-empty string, got {value!r}")
        else:
            values[name] = value
    return values


def _file_rules(value: object, where: Path) -> tuple[FileRule, ...]:
    if not isinstance(value, dict):
        raise ConfigError(f'{where}: files must be a table of patterns, e.g. [tool.auditor.files."generated/*"]')
    rules = []
    for pattern, overrides in value.items():
        if not isinstance(overrides, dict) or not overrides:
            raise ConfigError(f"{where}: files.{pattern!r} must be a table with fail-above and/or threshold")
        unknown = set(overrides) - set(_RULE_KEYS)
        if unknown:
            raise ConfigError(f"{where}: files.{pattern!r}: unknown setting {sorted(unknown)[0]!r}; per-file settings: fail-above, threshold")
        rules.append(FileRule(pattern, **{_RULE_KEYS[k]: _check_fraction(v, f"{where}: files.{pattern!r}.{k}") for k, v in overrides.items()}))
    return tuple(rules)


def _from_environment(environ: Mapping[str, str]) -> dict[str, object]:
    values: dict[str, object] = {}
    for name, variable in ENVIRONMENT.items():
        raw = environ.get(variable)
        if raw is None or raw == "":
            continue
        if name in ("fail_above", "threshold"):
            try:
                values[name] = _check_fraction(float(raw), f"${variable}")
            except ValueError:
                raise ConfigError(f"${variable} must be a number between 0 and 1, got {raw!r}") from None
        elif name in ("method", "format"):
            choices = METHODS if name == "method" else FORMATS
            if raw not in choices:
                raise ConfigError(f"${variable} must be one of {', '.join(choices)}, not {raw!r}")
            values[name] = raw
        elif name in _PATH_VARIABLES:
            values[name] = os.path.abspath(raw)  # relative to where the command runs, not to the repository
        else:
            values[name] = raw
    return values


def load_settings(
    config: str | os.PathLike[str] | None = None,
    overrides: Mapping[str, Any] | None = None,
    environ: Mapping[str, str] | None = None,
    start: str | os.PathLike[str] = ".",
    flag_names: Mapping[str, str] | None = None,
) -> HookSettings:
    """Resolve the settings: ``overrides`` (flags; None values ignored) > environment > file > defaults.

    ``config`` names the file explicitly; otherwise it is looked up from ``start``
    (:func:`find_config`). ``flag_names`` names the flag of each override in
    :attr:`HookSettings.sources` (default ``--<setting>``). Raises :class:`ConfigError`
    naming the file or variable and the setting.
    """
    config_file: Path | None
    if config is not None:
        config_file = Path(config)
        table = read_config(config_file)
        assert table is not None
        root = config_file.resolve().parent
    else:
        root, config_file, table = find_config(start)
    # Each setting of its own type (checked where it is read: the file, the environment, the flags).
    values: dict[str, Any] = _settings_from_table(table, config_file) if config_file is not None else {}
    sources = {name: Source(CONFIG_FILE, str(config_file)) for name in values}
    baseline = values.get("baseline")
    if isinstance(baseline, str) and _relative(root / baseline, root) is None:
        # A committed setting must not make 'baseline create --force' overwrite a file elsewhere.
        raise ConfigError(f"{config_file}: baseline {baseline!r} is outside the repository {root}; keep it inside")
    environment = _from_environment(os.environ if environ is None else environ)
    values.update(environment)
    sources.update({name: Source(ENVIRONMENT_VARIABLE, f"${ENVIRONMENT[name]}") for name in environment})
    known = {f.name for f in fields(HookSettings)} - {"root", "config_file", "sources"}
    for name, value in (overrides or {}).items():
        if name not in known:
            raise ValueError(f"unknown setting {name!r}")
        if value is not None:
            values[name] = os.path.abspath(value) if name in _CWD_RELATIVE else value
            sources[name] = Source(FLAG, (flag_names or {}).get(name, "--" + name.replace("_", "-")))
    return HookSettings(root=root, config_file=config_file, sources=sources, **values)
