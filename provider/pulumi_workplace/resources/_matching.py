"""Matching and adoption of existing accounts: which account a desired user already has.

The SCIM client only sends requests and reports what they did; this module decides when an
account found by the matching attributes (`matchOn`) is taken over. `create_or_adopt` creates
an account without ever creating a duplicate: a POST whose answer was lost is not repeated
before a lookup, and a conflict is answered by adopting the matching account.
`AdoptionRegistry` remembers, for one run, which resource adopted which account, so two people
never share one account. (When a create searches first at all is `_match_index`.)
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

from pydantic import BaseModel, ConfigDict

from pulumi_workplace.errors import RunRefused
from pulumi_workplace.scim import (
    PostedUser,
    RetryableOutcome,
    ScimClient,
    ScimError,
    ScimUser,
    UnexpectedResponseError,
    canonical_path,
)

__all__ = [
    "LOOKUP_ATTEMPTS",
    "LOOKUP_DELAY",
    "AdoptionError",
    "AdoptionRegistry",
    "CreateResult",
    "create_or_adopt",
    "find_by_matching",
    "match_value",
]

# The logger adoptions were always reported on, so existing log settings still show them.
_LOG = logging.getLogger("pulumi_workplace.scim")

LOOKUP_ATTEMPTS = 3
"""Searches for an account whose create answer was lost, to let a lagging search index catch up."""
LOOKUP_DELAY = 0.5
"""Seconds before the second such search, growing by as much again for each further one."""


class CreateResult(BaseModel):
    """Outcome of `create_or_adopt`.

    `reason` is "created" when this call's POST returned the account; "recovered" when an
    attempt's answer was lost and the account was found afterwards (almost surely created by
    this call); "conflict" when the server answered 409 and the existing account was adopted.
    An adopted account has been patched to the requested state.
    """

    model_config = ConfigDict(frozen=True)

    user: ScimUser
    reason: Literal["created", "recovered", "conflict"]
    attempts: int
    """POST requests sent."""

    @property
    def adopted(self) -> bool:
        """True when the account was found by search rather than returned by a POST."""
        return self.reason != "created"


@dataclass(frozen=True)
class _Timing:
    attempts: int
    delay: float


def match_value(user: ScimUser, attribute: str) -> str | None:
    """The user's value for a matching attribute, or None when it has none."""
    if attribute.lower() in ("emails.value", "emails"):
        emails = [email for email in user.emails or [] if email.value]
        if not emails:
            return None
        primary = next((email for email in emails if email.primary), emails[0])
        return primary.value
    value = user.get_path(canonical_path(attribute))
    if value is None or value == "":
        return None
    if not isinstance(value, str):
        raise ValueError(f"cannot match on {attribute}: only string attributes are matchable")
    return value


def find_by_matching(
    client: ScimClient, user: ScimUser, match_on: Sequence[str]
) -> ScimUser | None:
    """The first account found by `match_on` attributes, tried in order.

    Attributes the user has no value for are skipped. Supported: `emails.value` (the
    primary, else first, e-mail) and any string attribute in `USER_PATHS`.
    """
    for attribute in match_on:
        value = match_value(user, attribute)
        if value is None:
            continue
        found = client.find_user(attribute, value)
        if found is not None:
            return found
    return None


def create_or_adopt(
    client: ScimClient,
    desired: ScimUser,
    match_on: Sequence[str] = ("userName",),
    *,
    lookup_attempts: int = LOOKUP_ATTEMPTS,
    lookup_delay: float = LOOKUP_DELAY,
) -> CreateResult:
    """Create the account without ever creating a duplicate.

    A POST is not repeated blindly: after a lost answer, timeout or 5xx the account is
    first searched for by `match_on` (up to `lookup_attempts` times, `lookup_delay` seconds
    apart and growing, as a new account may take a moment to become searchable) and returned
    if found. A 409 conflict is answered by a search and the found account is adopted.
    Adopted accounts are patched to the requested state; `CreateResult.reason` says which
    path was taken. POSTs are retried within the client's `retry_policy`.
    """
    if lookup_attempts < 1:
        raise ValueError("lookup_attempts must be at least 1")
    timing = _Timing(lookup_attempts, lookup_delay)
    # Evaluates every attribute, so a bad name fails before anything is sent.
    can_lookup = any([match_value(desired, attribute) is not None for attribute in match_on])
    attempts = 0
    previous: RetryableOutcome | None = None
    uncertain = False  # some attempt may have created the account
    conflict: ScimError | None = None
    answer: PostedUser | None = None
    try:
        for attempt in client.retry_attempts("POST", "Users"):
            with attempt:
                attempts = attempt.retry_state.attempt_number
                if previous is not None and previous.processed != "no":
                    if not can_lookup:
                        # Without a lookup a repeat POST might duplicate the account.
                        raise client.final_error(previous, "POST", "Users", attempts - 1) from None
                    found = _lookup(
                        client, desired, match_on, timing, patient=previous.processed == "maybe"
                    )
                    if found is not None:
                        return _adopt(client, found, desired, "recovered", attempts - 1)
                try:
                    answer = client.post_user(desired, attempt=attempts)
                except RetryableOutcome as outcome:
                    previous = outcome
                    uncertain = uncertain or outcome.processed != "no"
                    raise
                except ScimError as error:
                    # RFC 7644 says 409; some hosts answer 400 with scimType "uniqueness".
                    if error.status != 409 and (error.scim_type or "").lower() != "uniqueness":
                        raise
                    conflict = error
    except RetryableOutcome as final:
        if final.processed != "no" and can_lookup:
            found = _lookup(client, desired, match_on, timing, patient=final.processed == "maybe")
            if found is not None:
                return _adopt(client, found, desired, "recovered", attempts)
        raise client.final_error(final, "POST", "Users", attempts) from None
    if conflict is not None:
        return _create_conflict(client, desired, match_on, timing, conflict, uncertain)
    assert answer is not None
    if answer.user is not None:
        return CreateResult(user=answer.user, reason="created", attempts=attempts)
    # A 2xx without the created user: find it rather than guess.
    found = _lookup(client, desired, match_on, timing, patient=True) if can_lookup else None
    if found is None:
        raise UnexpectedResponseError(
            f"Workplace answered POST {answer.path} with {answer.status} but returned no user "
            "id, and the account could not be found by its matching attributes",
            status=answer.status,
            method="POST",
            path=answer.path,
        )
    return CreateResult(user=found, reason="created", attempts=attempts)


def _create_conflict(
    client: ScimClient,
    desired: ScimUser,
    match_on: Sequence[str],
    timing: _Timing,
    conflict: ScimError,
    uncertain_before: bool,
) -> CreateResult:
    """Adopt the account a 409 says exists, waiting (within the retry budget) until a
    search can see it; give up at once if the clash is with an account that does not match.
    """
    # The clash may be with an account that matches on userName only: worth telling apart.
    matches_name = any(attribute.lower() == "username" for attribute in match_on)
    name = None if matches_name else desired.user_name
    policy = client.retry_policy
    tries = max(timing.attempts, policy.max_attempts)
    give_up_at = time.monotonic() + policy.deadline
    for index in range(tries):
        found = find_by_matching(client, desired, match_on)
        if found is not None:
            reason: Literal["recovered", "conflict"] = (
                "recovered" if uncertain_before else "conflict"
            )
            return _adopt(client, found, desired, reason, conflict.attempts)
        other = client.find_user("userName", name) if name else None
        if other is not None:
            _amend(
                conflict,
                f"; account {other.id} has this userName but does not match on "
                f"{', '.join(match_on)}, so it was not adopted: fix the matching attributes "
                "or the source data",
            )
            raise conflict
        delay = timing.delay * (index + 1)
        if index + 1 >= tries or time.monotonic() + delay > give_up_at:
            break
        time.sleep(delay)
    _amend(
        conflict,
        f"; no account matched on {', '.join(match_on)} although the server reports a "
        "conflict, so nothing was adopted: check the matching attributes or import the account",
    )
    raise conflict


def _amend(error: ScimError, note: str) -> None:
    error.message += note
    error.args = (error.message,)


def _lookup(
    client: ScimClient,
    desired: ScimUser,
    match_on: Sequence[str],
    timing: _Timing,
    *,
    patient: bool,
) -> ScimUser | None:
    tries = timing.attempts if patient else 1
    for index in range(tries):
        found = find_by_matching(client, desired, match_on)
        if found is not None:
            return found
        if index + 1 < tries:
            time.sleep(timing.delay * (index + 1))
    return None


def _adopt(
    client: ScimClient,
    found: ScimUser,
    desired: ScimUser,
    reason: Literal["recovered", "conflict"],
    attempts: int,
) -> CreateResult:
    _LOG.info("create of %s: adopting account %s (%s)", desired.user_name, found.id, reason)
    if found.id is None:
        raise UnexpectedResponseError(
            "Workplace returned a matching account without an id", method="GET", path="Users"
        )
    updated = client.patch_user(found.id, found, desired)
    return CreateResult(user=updated or found, reason=reason, attempts=attempts)


class AdoptionError(RunRefused):
    """A second resource of the run matched an account another one already adopted."""


class AdoptionRegistry:
    """Workplace id -> who (userName or externalId) adopted it in this run."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._adopted_by: dict[str, str] = {}

    def claim(self, workplace_id: str, who: str) -> None:
        """Record `who` as the account's adopter, or raise if someone else already is."""
        with self._lock:
            first = self._adopted_by.setdefault(workplace_id, who)
        if first != who:
            raise AdoptionError(
                f"{who}: the matching account {workplace_id} was already adopted by {first} in "
                "this run; two people cannot share one Workplace account (check the matching "
                "attributes)"
            )

    def adopter_of(self, workplace_id: str) -> str | None:
        """Who adopted this account earlier in this run, if anyone."""
        with self._lock:
            return self._adopted_by.get(workplace_id)
