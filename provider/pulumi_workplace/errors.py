"""The package's exception tree: every error it raises on purpose derives from `WorkplaceError`.

    WorkplaceError
    ├── InputError (also ValueError)   bad input, found before any write; `problems` lists each
    │   ├── SettingsError              a `workplace:` setting (program.ConfigError is this)
    │   ├── DirectoryError             a directory file or Microsoft Graph
    │   ├── AssignmentError            an assignment (unknown group or person, role)
    │   ├── MappingError               a mapping, or its evaluation for one person
    │   ├── ScopingError               a scoping filter
    │   ├── ProvisioningInputError     the plan as a whole (shared matching values, cycles)
    │   └── KeepPatternsError          a workplace:keepAccounts pattern (census.py)
    ├── ScimError                      the SCIM service answered badly or could not be reached
    │   └── AuthenticationError, PermissionDeniedError, NotFoundError, ConflictError,
    │       ThrottledError, ServerError, ClientRequestError, BadRequestError,
    │       ScimConnectionError, TLSError, InsecureTransportError, ClaimedAccountError,
    │       DuplicateTargetError, UnexpectedResponseError        (scim/errors.py)
    │   └── AccountListingError        listing the whole tenant failed (operations/discovery.py)
    ├── RunRefused                     a write refused by the run's own rules, before sending
    │   ├── PausedError                workplace:provisioningStatus is off
    │   ├── CircuitOpenError           the circuit breaker is open
    │   ├── DeprovisionRefused         the deprovisioning guard
    │   └── AdoptionError              two people would share one account
    ├── DeliveryError                  a notification could not be delivered
    ├── LogFormatError (also ValueError) a provisioning log line is not a record
    ├── JournalError                   the emulator's data file is damaged
    └── ExpressionError, ConversionError (also ValueError), EvaluationError
                                       inside mapping evaluation; they surface as MappingError

Messages never contain a secret.
"""

from __future__ import annotations

from collections.abc import Iterable

MAX_LINES = 50
"""At most this many problems are spelled out in a message; `problems` keeps them all."""


class WorkplaceError(Exception):
    """The base of every error this package raises on purpose."""


class InputError(WorkplaceError, ValueError):
    """Bad input: `problems` lists each problem as one self-contained line."""

    def __init__(self, problems: str | Iterable[str], *, summary: str | None = None) -> None:
        lines = (problems,) if isinstance(problems, str) else tuple(problems)
        self.problems: tuple[str, ...] = lines
        self.summary = summary
        super().__init__(format_problems(lines, summary=summary))


def format_problems(problems: Iterable[str], *, summary: str | None = None) -> str:
    """One problem as is; several under a summary, capped at `MAX_LINES`."""
    lines = list(problems)
    if len(lines) == 1 and summary is None:
        return lines[0]
    head = summary or f"{len(lines)} problems"
    # A problem may span lines (an expression with a caret under the fault): indent them all.
    shown = ["  " + line.replace("\n", "\n    ") for line in lines[:MAX_LINES]]
    if len(lines) > MAX_LINES:
        shown.append(f"  ... and {len(lines) - MAX_LINES} more ({len(lines)} in total)")
    return "\n".join([f"{head}:", *shown])


class SettingsError(InputError):
    """A setting is missing or invalid; the message names the setting."""


class RunRefused(WorkplaceError):
    """A write refused by the run's own rules before it was sent."""
