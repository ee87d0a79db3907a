"""auditor: how much of a text corpus is machine-generated, and what training on it would do.

Library entry points (no Click needed)::

    import auditor
    result = auditor.fingerprint(["corpus.jsonl"], out="fingerprint.parquet")
    drift = auditor.project(token_counts, synthetic_fraction=0.2)
    from auditor.scan import scan    # scores, estimate, projection (imports scikit-learn)
"""

from __future__ import annotations

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("auditor")
except PackageNotFoundError:  # running from a source tree that was never installed
    __version__ = "0+unknown"

from auditor.errors import AuditorError, ConfigError, InputError  # noqa: E402
from auditor.fingerprint import FingerprintOptions, FingerprintResult, fingerprint  # noqa: E402
from auditor.normalize import normalize  # noqa: E402
from auditor.projection import Projection, ProjectionOptions, project  # noqa: E402
from auditor.readers import Document, ReaderOptions, ReadReport, read_documents  # noqa: E402

__all__ = [
    "AuditorError",
    "ConfigError",
    "Document",
    "FingerprintOptions",
    "FingerprintResult",
    "InputError",
    "Projection",
    "ProjectionOptions",
    "ReadReport",
    "ReaderOptions",
    "__version__",
    "fingerprint",
    "normalize",
    "project",
    "read_documents",
]

