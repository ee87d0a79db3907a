"""Fixtures the hook's tests share with tests/cli."""

from hook_repo import repo  # noqa: F401 (a temporary data repository for ``auditor hook`` and ``auditor baseline``)
