"""The dynamic provider behind `User`: engine calls in, SCIM client calls out.

The engine stores three properties, `attributes`, `options` and `status` (`_user_props`); each
method flattens them to one dict keyed by catalogue keys (see `pulumi_workplace.attributes`)
and the option keys `matchOn`, `deprovision`, `clear`, `createOnly`, and nests what it returns.
Outputs repeat the managed keys with the values Workplace stored, so `diff` (state vs desired)
shows real drift after a refresh.
What counts as a change is decided by `pulumi_workplace.scim.compare`, the same code that builds
the PATCH, so a preview and the request it leads to cannot disagree.
"""

from __future__ import annotations

import contextlib
import functools
import sys
from collections.abc import Callable, Mapping
from typing import Any, TypeVar

from pulumi.dynamic import (
    CheckResult,
    ConfigureRequest,
    CreateResult,
    DiffResult,
    ReadResult,
    ResourceProvider,
    UpdateResult,
)

from pulumi_workplace.attributes import BY_KEY
from pulumi_workplace.errors import WorkplaceError
from pulumi_workplace.operations.guard import RELEASE_ON_REMOVE_ENV
from pulumi_workplace.resources import _matching, _not_kept, _run, _runtime, _watchdog
from pulumi_workplace.resources._user_props import flatten, is_nested, nest
from pulumi_workplace.resources._user_validation import (
    ACCOUNT_ID,
    CONTROL_KEYS,
    MANAGER_USER_NAME,
    check_user,
    is_unknown,
)
from pulumi_workplace.resources._user_wire import observed_values, to_scim_user
from pulumi_workplace.scim import ClaimedAccountError, NotFoundError, ScimUser
from pulumi_workplace.scim.compare import changed_paths

_F = TypeVar("_F", bound=Callable[..., Any])


def _clean_errors(method: _F) -> _F:
    """Turn the package's errors into one `WorkplaceError` line without a chained traceback
    (the SDK prints the traceback of whatever a provider method raises)."""

    @functools.wraps(method)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            with _runtime.current().call_slot():
                return method(*args, **kwargs)
        except WorkplaceError as error:
            raise WorkplaceError(str(error)) from None

    return wrapper  # type: ignore[return-value]


_STATUS_KEYS = ("claimed", "adopted", "managed")


def _desired_values(props: Mapping[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in props.items() if k in BY_KEY and v is not None}


def _managed_keys(props: Mapping[str, Any]) -> list[str]:
    """Keys this resource manages: the ones it sets and the ones it clears."""
    return sorted(set(_desired_values(props)) | set(props.get("clear") or []))


def _state_values(olds: Mapping[str, Any]) -> dict[str, Any]:
    """Values in state (what Workplace stored at the last create, update or refresh)."""
    return {k: v for k, v in olds.items() if k in BY_KEY and v is not None}


def _with_manager(
    news: Mapping[str, Any], olds: Mapping[str, Any] | None
) -> tuple[dict[str, Any], bool]:
    """`news` with the `managerId` of a manager in another shard (`managerUserName`), and
    whether that manager has no account yet (pending: written without a manager).

    The id found last time is kept while the manager stays the same; otherwise the account is
    looked up (`_manager_lookup`). While it is pending, `managerId` is cleared.
    """
    name = news.get(MANAGER_USER_NAME)
    if not name or news.get("managerId") is not None:
        return dict(news), False
    old = olds or {}
    same = old.get(MANAGER_USER_NAME) == name and not old.get("managerPending")
    if same and old.get("managerId") is not None:
        return {**news, "managerId": old["managerId"]}, False
    found = _runtime.current().connection.manager_lookup().account_id(str(name))
    if found is not None:
        return {**news, "managerId": found}, False
    # Written without a manager (a stale one is emptied) until the manager's account exists.
    return {**news, "clear": sorted({*(news.get("clear") or []), "managerId"})}, True


def _outputs(
    stored: ScimUser,
    props: Mapping[str, Any],
    *,
    adopted: bool,
    claimed: bool | None = None,
    not_kept: _not_kept.NotKept | None = None,
    manager_pending: bool = False,
) -> dict[str, Any]:
    managed = _managed_keys(props)
    outs: dict[str, Any] = {k: props.get(k) for k in CONTROL_KEYS}
    for key in (MANAGER_USER_NAME, ACCOUNT_ID):
        if props.get(key):
            outs[key] = props[key]
    if manager_pending:
        outs["managerPending"] = True
    outs.update(observed_values(stored, managed))
    if not_kept:
        outs[_not_kept.NOT_KEPT] = not_kept
    status = stored.account_status
    outs["claimed"] = (
        bool(status.claimed) if status and status.claimed is not None else bool(claimed)
    )
    outs["adopted"] = adopted
    outs["managed"] = managed
    return outs


def _changes(
    old: Mapping[str, Any], new: Mapping[str, Any], clear: Any = ()
) -> dict[str, tuple[Any, Any]]:
    """Catalogue keys whose value differs, with (old, new); cleared keys go to None."""
    changes = {k: (old.get(k), v) for k, v in new.items() if old.get(k) != v}
    changes.update({k: (old.get(k), None) for k in clear or () if old.get(k) is not None})
    return changes


def _created(values: Mapping[str, Any]) -> dict[str, tuple[Any, Any]]:
    return {k: (None, v) for k, v in values.items()}


def _update_action(changes: Mapping[str, tuple[Any, Any]]) -> str:
    if "active" in changes:
        return "reactivate" if changes["active"][1] else "deactivate"
    return "update"


def _note(message: str) -> None:
    # pulumi.log cannot be used inside provider methods; the engine shows the plugin's stderr.
    print(message, file=sys.stderr, flush=True)


def _note_not_kept(run: _run.Run, who: str, entries: _not_kept.NotKept, *, planning: bool) -> None:
    """Say once per attribute and run that the server does not keep it."""
    fresh = {k: v for k, v in entries.items() if run.first_time(f"not-kept:{k}")}
    if not fresh:
        return
    then = "is not planned as an update" if planning else "will not be written again"
    _note(
        f"{who}: not kept by the server: {_not_kept.describe(fresh)}; the attribute {then} "
        "until its desired value or the server's answer changes (docs/targets.md)"
    )


def _note_put(run: _run.Run, client: Any) -> None:
    notice = client.take_put_notice()
    if notice and run.first_time("put"):
        _note(notice)


_RELEASE_NOTES = 20
"""Released accounts named one by one; the provisioning log lists every one."""


def _note_release(run: _run.Run, label: str, id_: str) -> None:
    count = run.count_release()
    if count <= _RELEASE_NOTES:
        _note(
            f"{label}: removed from the stack; account {id_} left as it is "
            f"({RELEASE_ON_REMOVE_ENV}=true)"
        )
    elif count == _RELEASE_NOTES + 1:
        _note("more accounts left as they are: see the provisioning log (action retain)")


class UserProvider(ResourceProvider):
    """CRUD for one Workplace account. Holds no state: Pulumi pickles it into every resource."""

    serialize_as_secret_always = False

    def configure(self, req: ConfigureRequest) -> None:
        _runtime.configure(req.config)
        _watchdog.start()

    @_clean_errors
    def check(self, olds: dict[str, Any], news: dict[str, Any]) -> CheckResult:
        runtime = _runtime.current()
        runtime.check_settings()
        inputs, failures = check_user(flatten(news))
        if not olds and not failures:
            # A new account is planned: make sure we can reach it.
            runtime.connection.verify_once()
        return CheckResult(nest(inputs, with_status=False), failures)

    @_clean_errors
    def diff(self, _id: str, olds: dict[str, Any], news: dict[str, Any]) -> DiffResult:
        layout_changed = not is_nested(olds)  # an earlier flat state: rewrite it once
        olds, news = flatten(olds), flatten(news)
        connection = _runtime.current().connection
        if any(is_unknown(v) for v in _desired_values(news).values()):
            connection.verify_once()
            return DiffResult(changes=True, replaces=[], stables=[])
        news, _ = _with_manager(news, olds)
        desired = _desired_values(news)
        control_changed = any(
            olds.get(k) != news.get(k) for k in ("matchOn", "deprovision", "clear")
        ) or olds.get("managed") != _managed_keys(news)
        state = _state_values(olds)
        aside = _not_kept.set_aside(olds.get(_not_kept.NOT_KEPT), desired, state)
        if aside:
            _note_not_kept(
                _runtime.current().run,
                str(news.get("userName") or _id),
                {k: v for k, v in olds[_not_kept.NOT_KEPT].items() if k in aside},
                planning=True,
            )
            desired, state = _not_kept.without(desired, aside), _not_kept.without(state, aside)
        clear = news.get("clear") or []
        # Identical values, with nothing stored under a key to clear, cannot differ: skip
        # building and comparing two SCIM models, which is most of a no-op preview's provider
        # time (most people have some mapped attribute empty, so `clear` is rarely empty).
        if state != desired or any(state.get(key) is not None for key in clear):
            before, after = to_scim_user(state), to_scim_user(desired, clear)
            changed = bool(changed_paths(before, after)) or control_changed
        else:
            changed = control_changed
        if changed:
            connection.verify_once()
        changed = changed or layout_changed
        # Nothing replaces an account: a new userName is a rename (PATCH), not a new person.
        return DiffResult(changes=changed, replaces=[], stables=[], delete_before_replace=False)

    @_clean_errors
    def create(self, props: dict[str, Any]) -> CreateResult:
        props, manager_pending = _with_manager(flatten(props), None)
        runtime = _runtime.current()
        client = runtime.connection.client()
        values = {**(props.get("createOnly") or {}), **_desired_values(props)}
        desired = to_scim_user(values, props.get("clear") or [])
        match_on = props.get("matchOn") or ["userName"]
        who = str(values.get("userName") or values.get("externalId") or "?")

        policy = runtime.connection.search_policy()

        taken_over = props.get(ACCOUNT_ID)

        def create_or_adopt() -> tuple[ScimUser, bool, dict[str, tuple[Any, Any]] | None]:
            if taken_over:
                existing: ScimUser | None = _account_to_take_over(client, str(taken_over), who)
            elif policy.needs_search(values, match_on):
                existing = _matching.find_by_matching(client, desired, match_on)
            else:
                existing = None
            if existing is not None and existing.id is not None:
                runtime.adoptions.claim(existing.id, who)
                # Adopt: `pulumi import` cannot work for dynamic resources; matching is the way.
                ending = existing.active is not False and values.get("active") is False
                with (
                    _run.deprovisioning(runtime.run, props, existing.id, removal=False)
                    if ending
                    else contextlib.nullcontext()
                ):
                    stored = client.patch_user(existing.id, existing, desired) or existing
                return stored, True, _changes(observed_values(existing, values), values)
            result = _matching.create_or_adopt(client, desired, match_on)
            policy.created(values)
            # "recovered" = our own POST whose answer was lost; "conflict" = someone else's.
            if result.reason == "conflict" and result.user.id is not None:
                runtime.adoptions.claim(result.user.id, who)
            return result.user, result.reason == "conflict", None

        stored, adopted, _ = _run.operate(
            runtime.run,
            "create",
            props,
            create_or_adopt,
            describe=lambda r: (
                _adopt_action(r[2]) if taken_over else "adopt" if r[1] else "create",
                r[2] if r[1] else _created(values),
            ),
            identify=lambda r: r[0].id,
        )
        assert stored.id is not None, "Workplace returned a user without an id"
        desired_values = _desired_values(props)
        dropped = _not_kept.not_kept(desired_values, observed_values(stored, desired_values))
        _record_not_kept(runtime.run, props, stored.id, dropped)
        return CreateResult(
            id_=stored.id,
            outs=nest(
                _outputs(
                    stored,
                    props,
                    adopted=adopted,
                    not_kept=dropped,
                    manager_pending=manager_pending,
                )
            ),
        )

    @_clean_errors
    def update(self, id_: str, olds: dict[str, Any], news: dict[str, Any]) -> UpdateResult:
        olds, news = flatten(olds), flatten(news)
        news, manager_pending = _with_manager(news, olds)
        runtime = _runtime.current()
        client = runtime.connection.client()
        old_values, new_values = _state_values(olds), _desired_values(news)
        recorded = olds.get(_not_kept.NOT_KEPT) or {}
        aside = _not_kept.set_aside(recorded, new_values, old_values)
        old_values = _not_kept.without(old_values, aside)
        new_values = _not_kept.without(new_values, aside)
        before = to_scim_user(old_values)
        after = to_scim_user(new_values, news.get("clear") or [])
        changes = _changes(old_values, new_values, news.get("clear") or [])
        # Counted by the run's deprovisioning budget before it is sent, whichever program
        # (or none of ours) declared it.
        with (
            _run.deprovisioning(runtime.run, news, id_, removal=False)
            if _update_action(changes) == "deactivate"
            else contextlib.nullcontext()
        ):
            stored = _run.operate(
                runtime.run,
                "update",
                news,
                lambda: client.patch_user(id_, before, after),
                workplace_id=id_,
                describe=lambda r: (_update_action(changes) if r is not None else "none", changes),
            )
        still = {k: v for k, v in recorded.items() if k in aside}
        if stored is None:
            # Nothing to send: state already matches; keep what Workplace reported last.
            stored = to_scim_user({**old_values, **new_values, **_stored_of(still)})
            dropped = still
        else:
            _note_put(runtime.run, client)
            fresh = _not_kept.not_kept(new_values, observed_values(stored, new_values))
            _record_not_kept(runtime.run, news, id_, fresh)
            dropped = {**still, **fresh}
        return UpdateResult(
            outs=nest(
                _outputs(
                    stored,
                    news,
                    adopted=bool(olds.get("adopted")),
                    claimed=olds.get("claimed"),
                    not_kept=dropped,
                    manager_pending=manager_pending,
                )
            )
        )

    @_clean_errors
    def read(self, id_: str, props: dict[str, Any]) -> ReadResult:
        props = flatten(props)
        connection = _runtime.current().connection
        live = connection.live_user(id_) or connection.client().get_user(id_)
        if live is None:
            return ReadResult(id_="", outs={})
        outs = _outputs(
            live,
            props,
            adopted=bool(props.get("adopted")),
            not_kept=props.get(_not_kept.NOT_KEPT),
            manager_pending=bool(props.get("managerPending")),
        )
        # Stored inputs follow what Workplace holds, so the next preview names drifted keys.
        inputs = {k: v for k, v in outs.items() if k in BY_KEY and v is not None}
        inputs.update({k: props.get(k) for k in CONTROL_KEYS})
        return ReadResult(id_=id_, outs=nest(outs), inputs=nest(inputs, with_status=False))

    @_clean_errors
    def delete(self, id_: str, props: dict[str, Any]) -> None:
        props = flatten(props)
        runtime = _runtime.current()
        run = runtime.run
        mode = props.get("deprovision") or "deactivate"
        if mode == "retain":
            _run.operate(run, "retain", props, lambda: None, workplace_id=id_)
            return
        label = props.get("userName") or props.get("externalId") or id_
        successor = runtime.adoptions.adopter_of(id_)
        if successor is not None:
            # A renamed resource without an alias, or a person moved between components: the
            # new resource adopted this account earlier in the run, so it is not ours to end.
            _note(f"{label}: account {id_} is now managed by {successor}; left active")
            _run.operate(run, "retain", props, lambda: None, workplace_id=id_)
            return
        if _run.release_on_remove():
            _note_release(run, label, id_)
            _run.operate(run, "retain", props, lambda: None, workplace_id=id_)
            return
        client = runtime.connection.client()

        def deprovision() -> str:
            try:
                if mode == "delete":
                    try:
                        client.delete_user(id_)
                        return "delete"
                    except ClaimedAccountError:
                        _note(f"{label}: account was claimed, so it is deactivated, not deleted")
                client.deactivate_user(id_)
                return "deactivate"
            except NotFoundError:
                _note(f"{label}: account {id_} is already gone from Workplace")
                return "none"

        # A removal never deprovisions without the run's approval (operations/guard.py).
        with _run.deprovisioning(run, props, id_, removal=True, mode=mode):
            _run.operate(
                run,
                "deactivate",
                props,
                deprovision,
                workplace_id=id_,
                describe=lambda taken: (
                    taken,
                    {"active": (True, False)} if taken != "none" else None,
                ),
            )


def _adopt_action(changes: Mapping[str, tuple[Any, Any]] | None) -> str:
    """How the log names a take-over: a deactivation when it ended an active account."""
    active = (changes or {}).get("active")
    return "deactivate" if active is not None and active[1] is False else "adopt"


def _account_to_take_over(client: Any, account_id: str, who: str) -> ScimUser:
    """The account `accountId` names, still under the userName it was planned for.

    A create that takes over an account never POSTs: an account gone or renamed since the
    preview fails this resource alone, with nothing written.
    """
    found: ScimUser | None = client.get_user(account_id)
    if found is None or found.id is None:
        raise WorkplaceError(
            f"{who}: account {account_id} is no longer in the tenant; nothing was taken over "
            "(the next preview will not list it)"
        )
    if (found.user_name or "").casefold() != who.casefold():
        raise WorkplaceError(
            f"{who}: account {account_id} is now named {found.user_name!r}; it was not taken "
            "over (the next preview classifies it again)"
        )
    return found


def _stored_of(entries: Mapping[str, Mapping[str, Any]]) -> dict[str, Any]:
    return {k: e.get("stored") for k, e in entries.items() if e.get("stored") is not None}


def _record_not_kept(
    run: _run.Run, props: Mapping[str, Any], id_: str, entries: _not_kept.NotKept
) -> None:
    """Note it once per attribute and run, and log it per account (the run report counts it)."""
    if not entries:
        return
    who = str(props.get("userName") or props.get("externalId") or id_)
    _note_not_kept(run, who, entries, planning=False)
    run.record(
        str(props.get("stack") or ""),
        "not_kept",
        person=who,
        workplace_id=id_,
        status="warning",
        changes={
            key: (entry.get("stored"), entry.get("sent")) for key, entry in sorted(entries.items())
        },
    )
