"""Workarounds for Pulumi Python SDK bugs that dynamic resources hit at scale.

pulumi <= 3.272 `serialize_provider` wraps `pickle._Pickler._batch_setitems` in a sorting wrapper
on every dynamic resource and never unwraps it, so each registration wraps the previous wrapper:
registrations get slower and the ~980th raises RecursionError. We keep the original method from
import time and put it back after each registration. Drop this module once the SDK restores the
method itself (`sdk_restores_batch_setitems()` turns true; tests/test_sdk_workarounds.py checks it).
"""

from __future__ import annotations

import pickle
from collections.abc import Callable
from typing import Any

import pulumi.dynamic.dynamic as _dynamic

_ORIGINAL_BATCH_SETITEMS: Callable[..., Any] = pickle._Pickler._batch_setitems  # type: ignore[attr-defined]


def restore_pickler() -> None:
    """Undo the SDK's leftover wrapper on `pickle._Pickler._batch_setitems`."""
    pickle._Pickler._batch_setitems = _ORIGINAL_BATCH_SETITEMS  # type: ignore[attr-defined]


def sdk_restores_batch_setitems() -> bool:
    """True when the installed SDK no longer leaks the wrapper (the workaround can go)."""

    class _Probe(_dynamic.ResourceProvider):
        pass

    restore_pickler()
    _dynamic.serialize_provider(_Probe())
    leaked = pickle._Pickler._batch_setitems is not _ORIGINAL_BATCH_SETITEMS  # type: ignore[attr-defined]
    restore_pickler()
    return not leaked
