"""Workarounds for Pulumi Python SDK costs and bugs that dynamic resources hit at scale.

1. `serialize_provider` (seen in 3.216 to 3.272) wraps `pickle._Pickler._batch_setitems` in a
   sorting wrapper on every dynamic resource and never unwraps it, so each registration wraps
   the previous wrapper: registrations get slower and the ~980th raises RecursionError. We keep
   the original method from import time and put it back after each registration. Whether the
   installed SDK leaks is probed once at import (`sdk_restores_batch_setitems()`), so the
   workaround is active exactly on the releases that show the leak and leaves others alone.
2. `pulumi.runtime.stack.wait_for_rpcs` waits for the program's outstanding outputs with
   `asyncio.wait(FIRST_COMPLETED)` in a loop. Each round registers and removes a callback on
   every pending output, so K outputs cost O(K^2): with 10,000 accounts (~150,000 outputs) that
   was half of the program's CPU in a no-op preview. `install_linear_output_wait()` swaps in the
   same loop with `asyncio.gather`, which waits for the set once and still raises the first
   failure as soon as it happens. It replaces the SDK's function whole, so it is installed only
   on the release series it was checked against line by line (`_CHECKED_SDK_SERIES`; 3.216's
   loop is a different one and is left alone).
3. The dynamic provider process (`python -m pulumi.dynamic`) serves the engine from a gRPC
   server on `futures.ThreadPoolExecutor(max_workers=4)`, hard-coded: four provider calls at a
   time, whatever `pulumi up --parallel` says. Against a remote service latency then bounds
   the rate (200 ms per request: 20 creates a second at most). `widen_provider_pool(n)`, called
   from `configure()` with `workplace:concurrency`, finds that executor (the one running the
   calling thread) and raises its worker limit; the executor starts threads on demand up to it.
   Only on the SDK series whose `pulumi/dynamic/__main__.py` was checked to build the server
   that way (`_POOL_CHECKED_SDK_SERIES`); elsewhere it does nothing and says so.
4. The SDK sends four debug messages per registered resource ("registering resource ...",
   "resource registration prepared ...") through `pulumi.log._log`, which for a message without a
   resource makes a blocking `engine.Log` call on the event loop's thread: a quarter of the
   program's time in a 3,000-account `up` was spent waiting for those round trips.
   `install_async_debug_logs()` sends debug messages without a resource with
   `engine.Log.future(...)` instead: the same messages, without the wait (every other severity
   is unchanged, still sent synchronously). Installed only when `pulumi.log._log` is the
   function it was checked against (`_LOG_SOURCE_SHA256`).
"""

from __future__ import annotations

import asyncio
import gc
import hashlib
import inspect
import pickle
import threading
from collections.abc import Callable
from concurrent import futures
from typing import Any

import pulumi.dynamic.dynamic as _dynamic
import pulumi.log as _pulumi_log
from pulumi.runtime import settings as _settings
from pulumi.runtime import stack as _stack

_ORIGINAL_BATCH_SETITEMS: Callable[..., Any] = pickle._Pickler._batch_setitems  # type: ignore[attr-defined]
_SDK_WAIT_FOR_RPCS: Callable[..., Any] = _stack.wait_for_rpcs
# The SDK releases whose wait_for_rpcs this replacement reproduces (checked line by line).
_CHECKED_SDK_SERIES = ("3.272.",)
# The SDK releases whose dynamic provider serves gRPC from one ThreadPoolExecutor(max_workers=4).
_POOL_CHECKED_SDK_SERIES = ("3.216.", "3.272.")
MAX_PROVIDER_CALLS = 32


def _put_back_original() -> None:
    pickle._Pickler._batch_setitems = _ORIGINAL_BATCH_SETITEMS  # type: ignore[attr-defined]


def sdk_restores_batch_setitems() -> bool:
    """True when the installed SDK does not leak the wrapper (the workaround stays off)."""

    class _Probe(_dynamic.ResourceProvider):
        pass

    _put_back_original()
    _dynamic.serialize_provider(_Probe())
    leaked = pickle._Pickler._batch_setitems is not _ORIGINAL_BATCH_SETITEMS  # type: ignore[attr-defined]
    _put_back_original()
    return not leaked


_SDK_LEAKS_PICKLER_WRAPPER = not sdk_restores_batch_setitems()


def pickler_workaround_active() -> bool:
    """True when the installed SDK leaks the wrapper, so `restore_pickler` puts it back."""
    return _SDK_LEAKS_PICKLER_WRAPPER


def restore_pickler() -> None:
    """Undo the SDK's leftover wrapper on `pickle._Pickler._batch_setitems` (only on an SDK
    that leaks it)."""
    if _SDK_LEAKS_PICKLER_WRAPPER:
        _put_back_original()


async def _raise_rpc_failure(rpc_manager: Any, exn: BaseException) -> None:
    if rpc_manager.unhandled_exception is not None:
        cause = rpc_manager.unhandled_exception.with_traceback(rpc_manager.exception_traceback)
        raise exn from cause
    raise exn


async def linear_wait_for_rpcs(await_all_outstanding_tasks: bool = True) -> None:
    """`pulumi.runtime.stack.wait_for_rpcs` with the outstanding outputs awaited in O(K)."""
    rpc_manager = _settings._get_rpc_manager()
    while True:
        while len(rpc_manager.rpcs) > 0:
            await asyncio.sleep(0)
            try:
                await rpc_manager.rpcs.pop()
            except Exception as exn:  # re-raised with the RPC's own traceback
                await _raise_rpc_failure(rpc_manager, exn)
        if rpc_manager.unhandled_exception is not None:
            raise rpc_manager.unhandled_exception.with_traceback(rpc_manager.exception_traceback)
        if await_all_outstanding_tasks:
            while True:
                with _settings.SETTINGS.lock:
                    if len(_settings.SETTINGS.outputs) == 0:
                        break
                    pending = list(_settings.SETTINGS.outputs)
                    _settings.SETTINGS.outputs.clear()
                # Outputs created while we wait land in the set again and are picked up next.
                await asyncio.gather(*pending)
        if len(rpc_manager.rpcs) == 0:
            break


def sdk_is_checked() -> bool:
    """True when the installed SDK is one whose `wait_for_rpcs` the replacement reproduces."""
    from pulumi._version import _VERSION

    return _VERSION.startswith(_CHECKED_SDK_SERIES)


def install_linear_output_wait() -> bool:
    """Use `linear_wait_for_rpcs` for this program; True if installed (idempotent)."""
    if _stack.wait_for_rpcs is linear_wait_for_rpcs:
        return True
    if _stack.wait_for_rpcs is not _SDK_WAIT_FOR_RPCS or not sdk_is_checked():
        return False  # someone else replaced it, or an SDK we have not checked: leave it
    _stack.wait_for_rpcs = linear_wait_for_rpcs
    return True


def _sdk_version() -> str:
    from pulumi._version import _VERSION

    return str(_VERSION)


def provider_pool_checked() -> bool:
    """True when the installed SDK's dynamic provider pool is one `widen_provider_pool` knows."""
    return _sdk_version().startswith(_POOL_CHECKED_SDK_SERIES)


def _serving_executor() -> futures.ThreadPoolExecutor | None:
    """The thread pool that runs the calling thread (the provider's gRPC worker pool)."""
    me = threading.current_thread()
    for candidate in gc.get_objects():
        if isinstance(candidate, futures.ThreadPoolExecutor) and me in getattr(
            candidate, "_threads", ()
        ):
            return candidate
    return None


def widen_provider_pool(calls: int) -> int:
    """Let the dynamic provider serve `calls` engine calls at a time (1 to 32).

    Returns the limit in force afterwards: `calls` when applied, the SDK's own (4) when the SDK
    is not a checked one or the pool cannot be found (called outside a provider worker).
    """
    calls = max(1, min(int(calls), MAX_PROVIDER_CALLS))
    if not provider_pool_checked():
        return 4
    executor = _serving_executor()
    if executor is None:
        return 4
    current = int(getattr(executor, "_max_workers", 4))
    if calls > current:
        executor._max_workers = calls
        return calls
    return current


_SDK_LOG: Callable[..., Any] = _pulumi_log._log
# sha256 of `inspect.getsource(pulumi.log._log)` in the SDK releases checked (3.216.0, 3.272.0).
_LOG_SOURCE_SHA256 = "185613096f9dc351865f2df9bd6613990ffd142409e78f01681158ed52743939"


def _log_source_checked() -> bool:
    try:
        source = inspect.getsource(_SDK_LOG)
    except (OSError, TypeError):
        return False
    return hashlib.sha256(source.encode()).hexdigest() == _LOG_SOURCE_SHA256


def _log_without_waiting_for_debug(
    engine: Any, severity: Any, message: Any, resource: Any, stream_id: Any, ephemeral: Any
) -> None:
    from pulumi.runtime.proto import engine_pb2

    send_later = getattr(getattr(engine, "Log", None), "future", None)
    if severity != engine_pb2.DEBUG or resource is not None or send_later is None:
        # Not a debug message, or not a gRPC engine (`set_mocks`): as the SDK does it.
        _SDK_LOG(engine, severity, message, resource, stream_id, ephemeral)
        return
    request = engine_pb2.LogRequest(
        severity=severity, message=message, urn="", streamId=stream_id or 0, ephemeral=ephemeral
    )
    send_later(request)


def install_async_debug_logs() -> bool:
    """Send the SDK's debug messages without blocking the event loop; True if installed."""
    if _pulumi_log._log is _log_without_waiting_for_debug:
        return True
    if _pulumi_log._log is not _SDK_LOG or not _log_source_checked():
        return False
    _pulumi_log._log = _log_without_waiting_for_debug
    return True
