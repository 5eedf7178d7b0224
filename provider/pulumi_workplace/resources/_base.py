"""The base class of this package's dynamic resources."""

from __future__ import annotations

from typing import Any

import pulumi
from pulumi.dynamic import Resource, ResourceProvider

from pulumi_workplace.resources import _watchdog
from pulumi_workplace.resources._sdk_workarounds import (
    install_async_debug_logs,
    install_linear_output_wait,
    restore_pickler,
)

# Every program that declares our resources gets the O(K) output wait and debug messages that
# do not block the event loop (see _sdk_workarounds).
install_linear_output_wait()
install_async_debug_logs()
# A program whose engine was killed must not go on registering (and so writing) accounts.
_watchdog.start_in_program()


class WorkplaceDynamicResource(Resource):
    """A dynamic resource whose registration does not degrade with the number of resources."""

    def __init__(
        self,
        provider: ResourceProvider,
        name: str,
        props: dict[str, Any],
        opts: pulumi.ResourceOptions | None = None,
    ) -> None:
        try:
            super().__init__(provider, name, props, opts)
        finally:
            restore_pickler()
