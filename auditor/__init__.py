"""auditor: how much of a text corpus is machine-generated, and what training on it would do.

Library entry points (no Click needed); each is what the command of the same name does::

    import auditor
    result = auditor.scan(["corpus/"], out="audit")               # scores, estimate, projection, reports
    result.summary["synthetic_fraction"]                           # estimate, low, high, method, ...
    auditor.fingerprint(["corpus.jsonl"], out="fingerprint.parquet")
    auditor.filter_corpus(["corpus.jsonl"], keep="keep.jsonl", reject="reject.jsonl")
    auditor.score_texts(["a text", "another text"])              # p_synthetic per text
    drift = auditor.project(token_counts, synthetic_fraction=0.2)  # collapse drift from counts
    run = auditor.run_projection(auditor.choose_source(from_summary="audit/summary.json")[0])
    auditor.run_hook(["data.jsonl"], auditor.load_settings())    # the pre-commit check

The names below are imported on first use (PEP 562), so ``import auditor``
and the commands that need little of it (``auditor hook``) start fast.
"""

from __future__ import annotations

import sys
import types
from importlib.metadata import PackageNotFoundError, version
from typing import TYPE_CHECKING

from auditor.lazy import lazy_exports

try:
    __version__ = version("auditor")
except PackageNotFoundError:  # running from a source tree that was never installed
    __version__ = "0+unknown"

if TYPE_CHECKING:
    from auditor.corpus.batches import FingerprintOptions
    from auditor.corpus.runner import FingerprintResult, fingerprint
    from auditor.detector.scorer import Detector, load_detector
    from auditor.detector.scoring import score_texts
    from auditor.errors import AuditorError, ConfigError, InputError
    from auditor.hook.run import HookResult, run_hook
    from auditor.hook.settings import HookSettings, load_settings
    from auditor.hook.update import UpdateResult, update_baseline
    from auditor.io.documents import Document, ReaderOptions
    from auditor.io.problems import ReadReport
    from auditor.io.reading import read_documents
    from auditor.normalize import normalize
    from auditor.pipeline.filter import FilterOptions, FilterResult, filter_corpus
    from auditor.pipeline.scan import ScanOptions, ScanResult, scan
    from auditor.projection.collapse import Projection, ProjectionOptions, project
    from auditor.projection.run import ProjectionRun, choose_source, run_projection

# Public name -> the module defining it.
_EXPORTS = {
    "AuditorError": "auditor.errors",
    "ConfigError": "auditor.errors",
    "InputError": "auditor.errors",
    "Document": "auditor.io.documents",
    "ReaderOptions": "auditor.io.documents",
    "ReadReport": "auditor.io.problems",
    "read_documents": "auditor.io.reading",
    "normalize": "auditor.normalize",
    "FingerprintOptions": "auditor.corpus.batches",
    "FingerprintResult": "auditor.corpus.runner",
    "fingerprint": "auditor.corpus.runner",
    "Detector": "auditor.detector.scorer",
    "load_detector": "auditor.detector.scorer",
    "score_texts": "auditor.detector.scoring",
    "ScanOptions": "auditor.pipeline.scan",
    "ScanResult": "auditor.pipeline.scan",
    "scan": "auditor.pipeline.scan",
    "FilterOptions": "auditor.pipeline.filter",
    "FilterResult": "auditor.pipeline.filter",
    "filter_corpus": "auditor.pipeline.filter",
    "Projection": "auditor.projection.collapse",
    "ProjectionOptions": "auditor.projection.collapse",
    "project": "auditor.projection.collapse",
    "ProjectionRun": "auditor.projection.run",
    "choose_source": "auditor.projection.run",
    "run_projection": "auditor.projection.run",
    "HookSettings": "auditor.hook.settings",
    "load_settings": "auditor.hook.settings",
    "HookResult": "auditor.hook.run",
    "run_hook": "auditor.hook.run",
    "UpdateResult": "auditor.hook.update",
    "update_baseline": "auditor.hook.update",
}

__all__ = sorted([*_EXPORTS, "__version__"])


__getattr__, __dir__ = lazy_exports(__name__, globals(), _EXPORTS)


class _Package(types.ModuleType):
    """``auditor.normalize`` is the function, not the submodule of the same name.

    The import system binds a submodule on its package when it first loads it (whoever imports it);
    the function must win, as it did when this file imported everything eagerly.
    """

    def __setattr__(self, name: str, value: object) -> None:
        if isinstance(value, types.ModuleType) and value.__name__ == f"{__name__}.{name}" and _EXPORTS.get(name) == value.__name__:
            value = getattr(value, name)
        super().__setattr__(name, value)


sys.modules[__name__].__class__ = _Package
