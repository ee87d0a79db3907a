"""auditor: how much of a text corpus is machine-generated, and what training on it would do.

Library entry points (no Click needed)::

    import auditor
    result = auditor.fingerprint(["corpus.jsonl"], out="fingerprint.parquet")
    drift = auditor.project(token_counts, synthetic_fraction=0.2)
    from auditor.pipeline.scan import scan    # scores, estimate, projection

The names below are imported on first use (PEP 562), so ``import auditor``
and the commands that need little of it (``auditor hook``) start fast.
"""

from __future__ import annotations

import importlib
import sys
import types
from importlib.metadata import PackageNotFoundError, version
from typing import TYPE_CHECKING

try:
    __version__ = version("auditor")
except PackageNotFoundError:  # running from a source tree that was never installed
    __version__ = "0+unknown"

if TYPE_CHECKING:
    from auditor.errors import AuditorError, ConfigError, InputError
    from auditor.corpus.runner import FingerprintOptions, FingerprintResult, fingerprint
    from auditor.normalize import normalize
    from auditor.projection.collapse import Projection, ProjectionOptions, project
    from auditor.io.documents import Document, ReaderOptions
    from auditor.io.problems import ReadReport
    from auditor.io.reading import read_documents

# Public name -> the module defining it.
_EXPORTS = {
    "AuditorError": "auditor.errors",
    "ConfigError": "auditor.errors",
    "InputError": "auditor.errors",
    "FingerprintOptions": "auditor.corpus.runner",
    "FingerprintResult": "auditor.corpus.runner",
    "fingerprint": "auditor.corpus.runner",
    "normalize": "auditor.normalize",
    "Projection": "auditor.projection.collapse",
    "ProjectionOptions": "auditor.projection.collapse",
    "project": "auditor.projection.collapse",
    "Document": "auditor.io.documents",
    "ReaderOptions": "auditor.io.documents",
    "ReadReport": "auditor.io.problems",
    "read_documents": "auditor.io.reading",
}

__all__ = sorted([*_EXPORTS, "__version__"])


def __getattr__(name: str) -> object:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted({*globals(), *_EXPORTS})


class _Package(types.ModuleType):
    """``auditor.fingerprint`` and ``auditor.normalize`` are the functions, not the submodules of the same name.

    The import system binds a submodule on its package when it first loads it (whoever imports it);
    the function must win, as it did when this file imported everything eagerly.
    """

    def __setattr__(self, name: str, value: object) -> None:
        if isinstance(value, types.ModuleType) and value.__name__ == f"{__name__}.{name}" and _EXPORTS.get(name) == value.__name__:
            value = getattr(value, name)
        super().__setattr__(name, value)


sys.modules[__name__].__class__ = _Package
