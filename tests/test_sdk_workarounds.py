"""The RecursionError workaround for many dynamic resources (see resources/_sdk_workarounds.py)."""

from __future__ import annotations

import pickle

import pulumi
import pytest
from pulumi.dynamic import ResourceProvider
from pulumi.dynamic.dynamic import serialize_provider

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


def test_installed_sdk_still_needs_the_workaround():
    # When this fails, the SDK stopped leaking its pickler wrapper: delete _sdk_workarounds.py,
    # its call in resources/_base.py, and this file.
    assert not _sdk_workarounds.sdk_restores_batch_setitems()


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
