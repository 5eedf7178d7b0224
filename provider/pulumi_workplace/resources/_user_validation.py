"""`check` for `User`: validate declared attributes before anything reaches Workplace."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Mapping
from typing import Any

from email_validator import EmailNotValidError, validate_email
from pulumi.dynamic import CheckFailure
from pulumi.output import Unknown

from pulumi_workplace.attributes import AUTH_METHODS, BY_KEY, MATCHABLE_KEYS

UNKNOWN = "04da6b54-80e4-46f7-96ec-b56ff0331ba9"
"""How the engine passes a value not yet known during a preview."""

DEPROVISION_MODES = ("deactivate", "delete", "retain")
CONTROL_KEYS = ("matchOn", "deprovision", "clear", "createOnly", "stack")
"""Options every `User` has (kept even when null)."""
MANAGER_USER_NAME = "managerUserName"
ACCOUNT_ID = "accountId"
"""The option naming the one existing account a create takes over (never a POST)."""
"""The option set only for a manager in another shard: looked up by userName when written."""
OUTPUT_ONLY_KEYS = ("claimed", "adopted", "managed", "notKept", "managerPending")

_MAX_LENGTH = 1024
# C0 and C1 controls and the Unicode line/paragraph separators.
_CONTROL_CHARS = re.compile("[\x00-\x1f\x7f-\x9f\u2028\u2029]")
_EMAIL_KEYS = ("workEmail",)


def is_unknown(value: Any) -> bool:
    """True for a value the engine does not know yet (preview of a not-yet-created dependency)."""
    return isinstance(value, Unknown) or (isinstance(value, str) and value == UNKNOWN)


def _email_problem(value: str) -> str | None:
    """Why `value` is not an e-mail address Workplace can use, or None.

    email-validator's syntax check only: `check_deliverability=False` means no DNS, never a
    network call. Its defaults otherwise: no display name (`Ana <ana@...>`), quoted local part or
    IP literal; a domain of valid labels (no `_`), with a dot, ending in a letter, and not a
    special-use one (`.local`, `.test`, `.invalid`, ...), where no mailbox Workplace writes to
    can be.

    Internationalised addresses (`zoë@contoso.com`, RFC 6531) are accepted: the directory
    loaders accept them in `mail` and `userPrincipalName` (where workEmail comes from), userName
    takes them too, and refusing them here would fail at preview a person the directory took.
    Whether a mailbox accepts one is the mail system's business; email-validator still refuses
    the invisible and unsafe characters (zero-width space, bidi marks, NBSP) that make one
    address look like another.
    """
    try:
        validate_email(value, check_deliverability=False, allow_smtputf8=True)
    except EmailNotValidError as exc:
        # The reason states the rule broken and at most the offending characters or domain
        # label: parts of an address, which messages name anyway (the account's label is its
        # userPrincipalName), never anything secret.
        reason = str(exc).rstrip(".")
        return f"is not a valid e-mail address: {reason[:1].lower()}{reason[1:]}"
    return None


def _check_value(key: str, value: Any) -> str | None:
    """The problem with one attribute value, or None."""
    if value is None or is_unknown(value):
        return None
    kind = BY_KEY[key].type
    if kind == "boolean":
        return (
            None
            if isinstance(value, bool)
            else f"must be true or false, not a {type(value).__name__}"
        )
    if kind == "integer":
        if isinstance(value, bool) or not isinstance(value, int | float) or int(value) != value:
            return f"must be a whole number (epoch seconds), not a {type(value).__name__}"
        return None
    if not isinstance(value, str):
        return f"must be a string, not {type(value).__name__}"
    if len(value) > _MAX_LENGTH:
        return f"is {len(value)} characters long; the limit is {_MAX_LENGTH}"
    if _CONTROL_CHARS.search(value):
        return "contains a control character"
    if key == "userName" and (not value or any(c.isspace() for c in value)):
        return "must be a non-empty sign-in name without spaces"
    if key == "userName" and any(unicodedata.category(c) == "Cf" for c in value):
        return "contains an invisible formatting character (bidi mark, zero-width space, ...)"
    if key in _EMAIL_KEYS and (problem := _email_problem(value)):
        return problem
    if key == "authMethod" and value.lower() not in AUTH_METHODS:
        return f"must be one of {', '.join(AUTH_METHODS)}"
    return None


def check_user(news: Mapping[str, Any]) -> tuple[dict[str, Any], list[CheckFailure]]:
    """Validated, normalised inputs and the failures found (each naming its property)."""
    failures: list[CheckFailure] = []
    # Unset attributes arrive as nulls (the resource declares every output); keeping them would
    # store dozens of empty keys per account in state.
    inputs = {k: v for k, v in news.items() if v is not None or k in CONTROL_KEYS}
    for key, value in news.items():
        if key.startswith("__") or key in CONTROL_KEYS:
            continue
        if key in (MANAGER_USER_NAME, ACCOUNT_ID):
            if value is not None and (not isinstance(value, str) or not value.strip()):
                failures.append(CheckFailure(key, f"{key} must be a non-empty string"))
            continue
        if key in OUTPUT_ONLY_KEYS:
            inputs.pop(key, None)
            continue
        if key not in BY_KEY:
            failures.append(CheckFailure(key, f"unknown Workplace attribute {key!r}"))
            continue
        problem = _check_value(key, value)
        if problem:
            # Property "" keeps the engine from echoing the raw value (escape sequences, 5 KB).
            failures.append(CheckFailure("", f"{key} {problem}"))
        elif isinstance(value, float) and BY_KEY[key].type == "integer":
            inputs[key] = int(value)
        elif key == "authMethod" and isinstance(value, str) and not is_unknown(value):
            inputs[key] = value.lower()
        elif key in ("userName", "externalId", *_EMAIL_KEYS) and isinstance(value, str):
            # One spelling per name: a decomposed "é" must find the composed account.
            inputs[key] = unicodedata.normalize("NFC", value)

    match_on = news.get("matchOn") or ["userName"]
    if not is_unknown(match_on):
        if not isinstance(match_on, list) or not match_on:
            failures.append(CheckFailure("matchOn", "matchOn must be a non-empty list"))
        else:
            for key in match_on:
                if key not in MATCHABLE_KEYS:
                    failures.append(
                        CheckFailure(
                            "matchOn",
                            f"cannot match on {key!r}; use one of {', '.join(MATCHABLE_KEYS)}",
                        )
                    )
            if not any(news.get(k) is not None for k in match_on if isinstance(k, str)):
                failures.append(
                    CheckFailure(
                        "matchOn",
                        "needs a value for at least one matching attribute "
                        f"({', '.join(match_on)})",
                    )
                )
        inputs["matchOn"] = match_on

    if news.get("userName") is None and news.get("externalId") is None:
        failures.append(
            CheckFailure(
                "userName",
                "userName is required (an e-mail-less account needs externalId instead)",
            )
        )

    mode = news.get("deprovision") or "deactivate"
    if not is_unknown(mode) and mode not in DEPROVISION_MODES:
        failures.append(
            CheckFailure(
                "deprovision", f"deprovision must be one of {', '.join(DEPROVISION_MODES)}"
            )
        )
    inputs["deprovision"] = mode

    clear = news.get("clear") or []
    if not is_unknown(clear):
        for key in clear:
            if key not in BY_KEY or key == "userName":
                failures.append(CheckFailure("clear", f"cannot clear {key!r}"))
            elif news.get(key) is not None:
                failures.append(CheckFailure("clear", f"{key} is both set and listed in clear"))
    inputs["clear"] = sorted(clear) if isinstance(clear, list) else clear

    create_only = news.get("createOnly") or {}
    if isinstance(create_only, dict):
        for key, value in create_only.items():
            if key not in BY_KEY:
                failures.append(CheckFailure("createOnly", f"unknown Workplace attribute {key!r}"))
            elif problem := _check_value(key, value):
                failures.append(CheckFailure("createOnly", f"createOnly.{key} {problem}"))
    inputs["createOnly"] = create_only
    return inputs, failures
