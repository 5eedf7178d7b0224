"""The SDK workarounds (resources/_sdk_workarounds.py): each applies only where it was checked.

Runs on the main venv's SDK and, in `make test-sdk-floor`, on the oldest supported one.
"""

from __future__ import annotations

import asyncio
import pickle
from typing import Any

import pulumi
import pytest
from pulumi import _version as pulumi_version
from pulumi.dynamic import ResourceProvider
from pulumi.dynamic.dynamic import serialize_provider
from pulumi.runtime import stack as _stack

from pulumi_workplace.resources import _sdk_workarounds
from pulumi_workplace.testing import Echo


class _Mocks(pulumi.runtime.Mocks):
    def new_resource(self, args: pulumi.runtime.MockResourceArgs) -> tuple[str, dict]:
        return f"{args.name}-id", args.inputs

    def call(self, args: pulumi.runtime.MockCallArgs) -> tuple[dict, list]:
        return {}, []


class _ProviderWithState(ResourceProvider):
    """Like real providers, it has instance attributes, so pickling it walks a dict."""

    def __init__(self) -> None:
        self.options = {"page_size": 100, "match_on": ["userName"]}


_SDK = pulumi_version._VERSION
_LINEAR_WAIT_SDK = pytest.mark.skipif(
    not _sdk_workarounds.sdk_is_checked(),
    reason=f"the O(K) output wait replaces only the checked SDK series, not {_SDK}",
)


def test_pickler_workaround_is_active_exactly_where_the_sdk_leaks():
    leaks = not _sdk_workarounds.sdk_restores_batch_setitems()
    assert _sdk_workarounds.pickler_workaround_active() is leaks
    if _SDK.startswith(("3.216.", "3.272.")):
        # Both ends of the supported range were seen leaking; when a release stops, the
        # probe turns the workaround off by itself.
        assert leaks


def test_pickler_workaround_leaves_a_fixed_sdk_alone(monkeypatch):
    monkeypatch.setattr(_sdk_workarounds, "_SDK_LEAKS_PICKLER_WRAPPER", False)

    def sdk_own(self: Any, items: Any) -> Any:  # what a fixed SDK might install on purpose
        return _sdk_workarounds._ORIGINAL_BATCH_SETITEMS(self, items)

    monkeypatch.setattr(pickle._Pickler, "_batch_setitems", sdk_own)
    _sdk_workarounds.restore_pickler()
    assert pickle._Pickler._batch_setitems is sdk_own


@pytest.mark.timeout(300)
def test_three_thousand_dynamic_resources_register():
    pulumi.runtime.set_mocks(_Mocks(), project="wp", stack="test", preview=False)
    resources = [Echo(f"echo-{i}", value=i) for i in range(3000)]
    assert len({r._name for r in resources}) == 3000
    # No wrapper is left behind, so the next provider still serialises.
    assert pickle._Pickler._batch_setitems is _sdk_workarounds._ORIGINAL_BATCH_SETITEMS
    assert serialize_provider(_ProviderWithState())


@pytest.mark.timeout(300)
def test_three_thousand_users_register():
    from pulumi_workplace import User

    pulumi.runtime.set_mocks(_Mocks(), project="wp", stack="test", preview=False)
    users = [User(f"user-{i}", user_name=f"user{i}@example.com") for i in range(3000)]
    assert len(users) == 3000
    assert pickle._Pickler._batch_setitems is _sdk_workarounds._ORIGINAL_BATCH_SETITEMS


@pytest.mark.timeout(300)
def test_without_the_workaround_serialisation_breaks(monkeypatch):
    # Proves the test above could fail: with the restore switched off the SDK's bug shows up.
    monkeypatch.setattr("pulumi_workplace.resources._base.restore_pickler", lambda: None)
    pulumi.runtime.set_mocks(_Mocks(), project="wp", stack="test", preview=False)
    try:
        for i in range(1200):
            Echo(f"broken-{i}", value=i)
        with pytest.raises(RecursionError):
            serialize_provider(_ProviderWithState())
    finally:
        _sdk_workarounds.restore_pickler()


# -- the O(K) output wait -------------------------------------------------------------------


@pytest.fixture(autouse=True)
def _fresh_runtime_settings():
    # Earlier tests in this file run mocked programs whose leftover outputs and RPCs belong to
    # a closed event loop; each wait test starts from an empty set.
    from pulumi.runtime.rpc_manager import RPCManager

    _stack.SETTINGS.outputs.clear()
    _stack.SETTINGS.rpc_manager = RPCManager()
    yield
    _stack.SETTINGS.outputs.clear()


def _outputs_completing_one_by_one(count: int) -> list[asyncio.Future[int]]:
    """Futures in SETTINGS.outputs that finish one per event-loop turn, like RPC replies do."""
    loop = asyncio.get_running_loop()
    futures = [loop.create_future() for _ in range(count)]

    async def finish(pending: list[asyncio.Future[int]]) -> None:
        for index, future in enumerate(pending):
            await asyncio.sleep(0)
            future.set_result(index)

    with _stack.SETTINGS.lock:
        _stack.SETTINGS.outputs.update(futures)
    futures.append(asyncio.ensure_future(finish(list(futures))))  # type: ignore[arg-type]
    return futures


def _count_calls(monkeypatch: pytest.MonkeyPatch, name: str) -> list[int]:
    calls: list[int] = []
    original = getattr(asyncio, name)

    def counting(*args: Any, **kwargs: Any) -> Any:
        calls.append(1)
        return original(*args, **kwargs)

    monkeypatch.setattr(asyncio, name, counting)
    return calls


def test_importing_the_package_installs_the_linear_wait_only_on_a_checked_sdk():
    import pulumi_workplace.resources._base  # noqa: F401

    installed = _stack.wait_for_rpcs is _sdk_workarounds.linear_wait_for_rpcs
    assert installed is _sdk_workarounds.sdk_is_checked()
    assert _sdk_workarounds.install_linear_output_wait() is installed


@_LINEAR_WAIT_SDK
def test_sdk_wait_rescans_every_output_per_completion(monkeypatch):
    # Why the replacement exists: the SDK's loop calls asyncio.wait once per completion, and
    # each call walks the whole pending set. When this fails, the SDK fixed it upstream.
    waits = _count_calls(monkeypatch, "wait")

    async def run() -> None:
        _outputs_completing_one_by_one(500)
        await _sdk_workarounds._SDK_WAIT_FOR_RPCS()

    asyncio.run(run())
    assert len(waits) >= 100  # one round per one or two completions; ours makes one or two


@_LINEAR_WAIT_SDK
def test_linear_wait_waits_for_the_set_in_one_pass(monkeypatch):
    gathers = _count_calls(monkeypatch, "gather")
    waits = _count_calls(monkeypatch, "wait")

    async def run() -> list[asyncio.Future[int]]:
        futures = _outputs_completing_one_by_one(500)
        await _sdk_workarounds.linear_wait_for_rpcs()
        return futures

    futures = asyncio.run(run())
    assert all(f.done() for f in futures)
    assert waits == [] and 1 <= len(gathers) <= 2
    assert len(_stack.SETTINGS.outputs) == 0


@_LINEAR_WAIT_SDK
def test_linear_wait_picks_up_outputs_created_while_waiting():
    async def run() -> asyncio.Future[int]:
        loop = asyncio.get_running_loop()
        late: asyncio.Future[int] = loop.create_future()

        async def spawn_late_output() -> None:
            with _stack.SETTINGS.lock:
                _stack.SETTINGS.outputs.add(late)
            await asyncio.sleep(0)
            late.set_result(7)

        with _stack.SETTINGS.lock:
            _stack.SETTINGS.outputs.add(asyncio.ensure_future(spawn_late_output()))
        await _sdk_workarounds.linear_wait_for_rpcs()
        return late

    assert asyncio.run(run()).result() == 7


@_LINEAR_WAIT_SDK
def test_linear_wait_raises_a_failed_output():
    async def run() -> None:
        loop = asyncio.get_running_loop()
        failed: asyncio.Future[int] = loop.create_future()
        failed.set_exception(ValueError("apply failed for person 7"))
        _outputs_completing_one_by_one(10)
        with _stack.SETTINGS.lock:
            _stack.SETTINGS.outputs.add(failed)
        await _sdk_workarounds.linear_wait_for_rpcs()

    with pytest.raises(ValueError, match="person 7"):
        asyncio.run(run())
    _stack.SETTINGS.outputs.clear()


def test_unchecked_sdk_versions_are_left_alone(monkeypatch):
    monkeypatch.setattr(_stack, "wait_for_rpcs", _sdk_workarounds._SDK_WAIT_FOR_RPCS)
    monkeypatch.setattr(_sdk_workarounds, "_CHECKED_SDK_SERIES", ("0.0.",))
    assert not _sdk_workarounds.install_linear_output_wait()
    assert _stack.wait_for_rpcs is _sdk_workarounds._SDK_WAIT_FOR_RPCS


def test_the_dynamic_provider_pool_is_the_one_widen_provider_pool_knows() -> None:
    """On a checked SDK the provider serves from one ThreadPoolExecutor(max_workers=4)."""
    import importlib.util
    from pathlib import Path

    from pulumi_workplace.resources import _sdk_workarounds as workarounds

    spec = importlib.util.find_spec("pulumi.dynamic")
    assert spec is not None and spec.submodule_search_locations
    source = (Path(next(iter(spec.submodule_search_locations))) / "__main__.py").read_text()
    if workarounds.provider_pool_checked():
        assert source.count("futures.ThreadPoolExecutor(max_workers=4)") == 1
        assert "grpc.server(" in source


def test_widen_provider_pool_raises_the_limit_of_the_pool_it_runs_in() -> None:
    from concurrent import futures

    from pulumi_workplace.resources import _sdk_workarounds as workarounds

    if not workarounds.provider_pool_checked():
        assert workarounds.widen_provider_pool(16) == 4
        return
    pool = futures.ThreadPoolExecutor(max_workers=4)
    try:
        assert pool.submit(workarounds.widen_provider_pool, 16).result() == 16
        assert pool._max_workers == 16
        assert pool.submit(workarounds.widen_provider_pool, 99).result() == 32  # the cap
        # Sixteen calls now really run at once: the barrier breaks (timeout) unless they do.
        import threading

        barrier = threading.Barrier(16, timeout=10)
        waits = [pool.submit(barrier.wait) for _ in range(16)]
        assert sorted(f.result() for f in waits) == list(range(16))
    finally:
        pool.shutdown()
    assert workarounds.widen_provider_pool(16) == 4  # not in a provider worker: unchanged


def test_debug_messages_without_a_resource_are_sent_without_waiting() -> None:
    from pulumi.runtime.proto import engine_pb2

    from pulumi_workplace.resources import _sdk_workarounds as workarounds

    class _Call:
        def __init__(self) -> None:
            self.waited: list[str] = []
            self.later: list[str] = []

        def __call__(self, request: object) -> None:
            self.waited.append(request.message)  # type: ignore[attr-defined]

        def future(self, request: object) -> None:
            self.later.append(request.message)  # type: ignore[attr-defined]

    class _Engine:
        Log = _Call()

    engine = _Engine()
    if not workarounds._log_source_checked():
        assert workarounds.install_async_debug_logs() is False
        return
    workarounds._log_without_waiting_for_debug(engine, engine_pb2.DEBUG, "d", None, None, None)
    workarounds._log_without_waiting_for_debug(engine, engine_pb2.INFO, "i", None, None, None)
    workarounds._log_without_waiting_for_debug(engine, engine_pb2.WARNING, "w", None, 3, None)
    assert engine.Log.later == ["d"]
    assert engine.Log.waited == ["i", "w"]
    assert workarounds.install_async_debug_logs() is True  # installed by importing the package
