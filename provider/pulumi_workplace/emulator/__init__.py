"""A local Workplace / Meta Work Accounts SCIM 2.0 emulator for tests and demos.

It serves /Users like Workplace does (numeric ids, case-insensitive unique userName, Facebook
extensions, claimed-account rules), persists to a file, counts requests and injects faults.
`EmulatorConfig.profile` makes it Meta Work Accounts or a plain RFC 7643/7644 host instead
(emulator/profiles.py).
"""

from pulumi_workplace.emulator.config import EmulatorConfig
from pulumi_workplace.emulator.server import EmulatorServer

__all__ = ["EmulatorConfig", "EmulatorServer"]
