"""Resources for tests and benchmarks that need the Pulumi engine but no Workplace.

`Echo` is a dynamic resource whose provider does no I/O: it stores its inputs as outputs. It proves
that the CLI, the language host and the dynamic provider plugin work together, and it is the
"engine floor" the scale benchmark compares the `User` resource against.
"""

from __future__ import annotations

import hashlib
import json
from typing import Any

import pulumi
from pulumi.dynamic import CreateResult, DiffResult, ResourceProvider, UpdateResult

from pulumi_workplace.resources._base import WorkplaceDynamicResource

_RESERVED = "__provider"


def _inputs(props: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in props.items() if k != _RESERVED}


class EchoProvider(ResourceProvider):
    """Stores inputs as outputs; the id is a hash of the first inputs."""

    serialize_as_secret_always = False

    def create(self, props: dict[str, Any]) -> CreateResult:
        data = _inputs(props)
        digest = hashlib.sha256(json.dumps(data, sort_keys=True).encode()).hexdigest()[:16]
        return CreateResult(id_=digest, outs=data)

    def diff(self, _id: str, olds: dict[str, Any], news: dict[str, Any]) -> DiffResult:
        old, new = _inputs(olds), _inputs(news)
        changed = sorted(k for k in old.keys() | new.keys() if old.get(k) != new.get(k))
        return DiffResult(changes=bool(changed), replaces=[], stables=[])

    def update(self, _id: str, _olds: dict[str, Any], news: dict[str, Any]) -> UpdateResult:
        return UpdateResult(outs=_inputs(news))


class Echo(WorkplaceDynamicResource, module="testing", name="Echo"):
    """A dynamic resource that echoes `value`; no network, no files."""

    value: pulumi.Output[Any]

    def __init__(
        self, name: str, value: pulumi.Input[Any], opts: pulumi.ResourceOptions | None = None
    ) -> None:
        super().__init__(EchoProvider(), name, {"value": value}, opts)
