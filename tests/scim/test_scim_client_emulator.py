"""Every ScimClient operation against the local Workplace emulator over loopback HTTP."""

from __future__ import annotations

from typing import Any

import pytest
from scim_helpers import FAST_LOOKUP, assert_stored_as_sent, rich_user, stored_users

from pulumi_workplace.resources._matching import create_or_adopt
from pulumi_workplace.scim import (
    ENTERPRISE_URN,
    BadRequestError,
    ClaimedAccountError,
    ConflictError,
    DuplicateTargetError,
    Email,
    EnterpriseUser,
    Manager,
    Name,
    ScimClient,
    ScimUser,
)

DEPARTMENT = f"{ENTERPRISE_URN}:department"


def _method_count(server: Any, key: str) -> int:
    value: int = server.stats()["by_method_kind"].get(key, 0)
    return value


def test_create_get_and_read_back(server: Any, client: ScimClient) -> None:
    sent = rich_user(1)
    result = create_or_adopt(client, sent)
    assert result.reason == "created" and not result.adopted and result.attempts == 1
    assert result.user.id is not None
    assert_stored_as_sent(sent, result.user)
    fetched = client.get_user(result.user.id)
    assert fetched is not None and fetched.id == result.user.id
    assert_stored_as_sent(sent, fetched)
    [stored] = stored_users(server)
    assert_stored_as_sent(sent, stored)


def test_get_missing_user_is_none(client: ScimClient) -> None:
    assert client.get_user("999999999") is None


def test_find_user_by_username_case_insensitively_and_by_external_id(client: ScimClient) -> None:
    created = create_or_adopt(client, rich_user(2)).user
    found = client.find_user("userName", "USER0002@EXAMPLE.COM")
    assert found is not None and found.id == created.id
    by_external = client.find_user("externalId", "ext-user-2")
    assert by_external is not None and by_external.id == created.id
    assert client.find_user("externalId", "EXT-USER-2") is None
    assert client.find_user("userName", "nobody@example.com") is None


def test_filter_injection_finds_only_the_exact_account(client: ScimClient) -> None:
    hostile = 'o"brien\\x@example.com'
    names = [
        hostile,
        "o@example.com",
        'o"brien@example.com',
        "brien\\x@example.com",
        "x@example.com",
    ]
    ids = {
        name: create_or_adopt(client, ScimUser(user_name=name, active=True)).user.id
        for name in names
    }
    for name in names:
        found = client.find_user("userName", name)
        assert found is not None and found.id == ids[name] and found.user_name == name
    for probe in ['" or userName pr or userName eq "', 'o"brien\\', "o\\", '"']:
        assert client.find_user("userName", probe) is None


def test_iter_users_pages_through_everything(server: Any, client: ScimClient) -> None:
    created = {create_or_adopt(client, rich_user(i)).user.id for i in range(23)}
    server.reset_stats()
    listed = list(client.iter_users(page_size=5))
    assert {user.id for user in listed} == created and len(listed) == 23
    assert _method_count(server, "GET users") == 5  # 5+5+5+5+3, stop at totalResults
    assert {user.id for user in client.list_users()} == created


def test_iter_users_with_a_server_capping_the_page(make_server: Any, make_client: Any) -> None:
    server = make_server(default_page_size=4, max_page_size=4)
    client = make_client(server.url)
    created = {
        create_or_adopt(client, ScimUser(user_name=f"cap{i}@example.com")).user.id
        for i in range(10)
    }
    listed = client.list_users(page_size=100)
    assert {user.id for user in listed} == created and len(listed) == 10


def test_list_empty(client: ScimClient) -> None:
    assert client.list_users() == []


def test_numeric_ids_are_strings(make_server: Any, make_client: Any) -> None:
    server = make_server(numeric_ids=True)
    client = make_client(server.url)
    created = create_or_adopt(client, ScimUser(user_name="n@example.com")).user
    assert isinstance(created.id, str) and created.id.isdigit()
    assert [user.id for user in client.list_users()] == [created.id]


def test_patch_sends_minimal_patch_and_nothing_when_equal(server: Any, client: ScimClient) -> None:
    before = create_or_adopt(client, rich_user(5)).user
    assert before.id is not None
    server.reset_stats()
    assert client.patch_user(before.id, before, rich_user(5)) is None
    assert server.stats()["total"] == 0
    after = ScimUser(
        title="Director",
        name=Name(given_name="Renamed"),
        emails=[Email(value="renamed@example.com", type="work", primary=True)],
        enterprise=EnterpriseUser(department="Research"),
    )
    updated = client.patch_user(before.id, before, after)
    assert updated is not None
    assert _method_count(server, "PATCH user") == 1
    assert updated.title == "Director" and updated.get_path(DEPARTMENT) == "Research"
    assert updated.name is not None and updated.name.given_name == "Renamed"
    assert updated.name.family_name == "Family5"  # untouched sub-attribute kept
    assert updated.phone_numbers == before.phone_numbers  # unmanaged attribute kept
    [stored] = stored_users(server)
    assert_stored_as_sent(after, stored)


def test_patch_clears_with_remove(server: Any, client: ScimClient) -> None:
    before = create_or_adopt(client, rich_user(6)).user
    assert before.id is not None
    after = ScimUser(clear={"title", DEPARTMENT, "phoneNumbers"})
    updated = client.patch_user(before.id, before, after)
    assert updated is not None
    [stored] = stored_users(server)
    for user in (updated, stored):
        assert user.title is None and user.get_path(DEPARTMENT) is None and not user.phone_numbers
        assert user.display_name == before.display_name


@pytest.mark.parametrize("semantics", ["merge", "replace"])
def test_clear_falls_back_to_put_when_remove_is_rejected(
    make_server: Any, make_client: Any, semantics: str
) -> None:
    server = make_server(patch_simple_only=True, put_semantics=semantics)
    client = make_client(server.url)
    before = create_or_adopt(client, rich_user(7)).user
    assert before.id is not None
    after = ScimUser(title="Kept", clear={"nickName", DEPARTMENT, "phoneNumbers"})
    before = client.patch_user(before.id, before, ScimUser(nick_name="Nick")) or before
    assert before.nick_name == "Nick"
    server.reset_stats()
    updated = client.patch_user(before.id, before, after)
    assert updated is not None
    assert _method_count(server, "PATCH user") == 1 and _method_count(server, "PUT user") == 1
    [stored] = stored_users(server)
    for user in (updated, stored):
        assert user.title == "Kept" and user.nick_name is None
        assert user.get_path(DEPARTMENT) is None and not user.phone_numbers
        # Everything else survives the full-representation PUT under either semantics.
        assert user.display_name == before.display_name and user.emails == before.emails
        assert user.get_path(f"{ENTERPRISE_URN}:costCenter") == "CC1"


def test_replace_only_patch_works_on_a_strict_server(make_server: Any, make_client: Any) -> None:
    server = make_server(patch_simple_only=True)
    client = make_client(server.url)
    before = create_or_adopt(client, rich_user(8)).user
    assert before.id is not None
    server.reset_stats()
    updated = client.patch_user(
        before.id, before, ScimUser(title="T2", emails=[Email(value="e@x.org")])
    )
    assert updated is not None and updated.title == "T2"
    assert _method_count(server, "PUT user") == 0


@pytest.mark.parametrize("semantics", ["merge", "replace"])
def test_replace_user_puts_the_full_representation(
    make_server: Any, make_client: Any, semantics: str
) -> None:
    server = make_server(put_semantics=semantics)
    client = make_client(server.url)
    created = create_or_adopt(client, rich_user(9)).user
    assert created.id is not None
    full = created.model_copy(update={"title": "Replaced"})
    replaced = client.replace_user(created.id, full)
    assert replaced.title == "Replaced" and replaced.id == created.id
    assert_stored_as_sent(full, replaced)


def test_put_fallback_when_discovery_says_no_patch(make_server: Any, make_client: Any) -> None:
    server = make_server()
    client = make_client(server.url)
    created = create_or_adopt(client, rich_user(10)).user
    assert created.id is not None
    # The emulator advertises PATCH; this checks the switch the client keeps, as a server
    # answering 405/501 would set it.
    client._mark_patch_unsupported("test")
    server.reset_stats()
    updated = client.patch_user(created.id, created, ScimUser(title="ViaPut"))
    assert updated is not None and updated.title == "ViaPut"
    assert _method_count(server, "PATCH user") == 0 and _method_count(server, "PUT user") == 1
    assert_stored_as_sent(rich_user(10).model_copy(update={"title": "ViaPut"}), updated)


def test_deactivate_and_reactivate(server: Any, client: ScimClient) -> None:
    created = create_or_adopt(client, rich_user(11)).user
    assert created.id is not None
    assert client.deactivate_user(created.id).active is False
    assert stored_users(server)[0].active is False
    assert client.reactivate_user(created.id).active is True
    assert client.set_active(created.id, False).active is False


def test_delete_unclaimed_then_again(server: Any, client: ScimClient) -> None:
    created = create_or_adopt(client, rich_user(12)).user
    assert created.id is not None
    client.delete_user(created.id)
    assert server.users() == []
    client.delete_user(created.id)  # already gone: no error
    client.delete_user(created.id, current=created)  # 404 on DELETE: no error


def test_delete_claimed_is_refused_without_a_request(server: Any, client: ScimClient) -> None:
    created = create_or_adopt(client, rich_user(13)).user
    assert created.id is not None
    server.mark_claimed(created.id)
    server.reset_stats()
    with pytest.raises(ClaimedAccountError, match=r"deactivate|active=false"):
        client.delete_user(created.id)
    assert _method_count(server, "DELETE user") == 0
    claimed = client.get_user(created.id)
    assert claimed is not None
    with pytest.raises(ClaimedAccountError):
        client.delete_user(created.id, current=claimed)
    assert _method_count(server, "DELETE user") == 0
    assert len(server.users()) == 1


def test_delete_with_stale_unclaimed_state_still_refuses(server: Any, client: ScimClient) -> None:
    created = create_or_adopt(client, rich_user(14)).user
    assert created.id is not None
    server.mark_claimed(created.id)
    # `current` says unclaimed: the DELETE goes out, the server refuses, the client re-reads.
    with pytest.raises(ClaimedAccountError):
        client.delete_user(created.id, current=created)
    assert len(server.users()) == 1


def test_duplicate_matches_raise(server: Any, client: ScimClient) -> None:
    for index in (18, 19):
        create_or_adopt(client, rich_user(index).model_copy(update={"external_id": "shared"}))
    with pytest.raises(DuplicateTargetError, match="2 accounts"):
        client.find_user("externalId", "shared")


@pytest.mark.parametrize("shape", ["managerId", "value"])
def test_manager_shapes(make_server: Any, make_client: Any, shape: str) -> None:
    server = make_server(manager_shape=shape)
    client = make_client(server.url, manager_shape=shape)
    boss = create_or_adopt(client, ScimUser(user_name="boss@example.com")).user
    assert boss.id is not None
    report = create_or_adopt(
        client,
        ScimUser(
            user_name="report@example.com",
            enterprise=EnterpriseUser(manager=Manager(value=boss.id)),
        ),
    ).user
    assert report.enterprise is not None and report.enterprise.manager is not None
    assert report.enterprise.manager.value == boss.id
    raw = next(u for u in server.users() if u["userName"] == "report@example.com")
    assert boss.id in str(raw[ENTERPRISE_URN]["manager"])


def test_wrong_manager_shape_is_a_clear_error(make_server: Any, make_client: Any) -> None:
    server = make_server(manager_shape="value")
    client = make_client(server.url, manager_shape="managerId")
    boss = create_or_adopt(client, ScimUser(user_name="boss2@example.com")).user
    assert boss.id is not None
    with pytest.raises(BadRequestError) as raised:
        create_or_adopt(
            client,
            ScimUser(
                user_name="r2@example.com",
                enterprise=EnterpriseUser(manager=Manager(value=boss.id)),
            ),
        )
    assert raised.value.status == 400 and raised.value.method == "POST"


@pytest.mark.parametrize("error_format", ["graph", "text"])
def test_error_bodies_in_other_formats(
    make_server: Any, make_client: Any, error_format: str
) -> None:
    server = make_server(error_format=error_format)
    client = make_client(server.url)
    create_or_adopt(client, rich_user(20))
    with pytest.raises(ConflictError) as raised:
        create_or_adopt(
            client,
            rich_user(20).model_copy(update={"external_id": "x"}),
            match_on=["externalId"],
            **FAST_LOOKUP,
        )
    assert raised.value.detail and "userName" in raised.value.detail


def test_create_status_200_and_delete_status_200(make_server: Any, make_client: Any) -> None:
    server = make_server(create_status=200, delete_status=200)
    client = make_client(server.url)
    created = create_or_adopt(client, rich_user(21)).user
    assert created.id is not None
    client.delete_user(created.id)
    assert server.users() == []


def test_discovery(server: Any, client: ScimClient) -> None:
    config = client.service_provider_config()
    assert config is not None and config["patch"]["supported"] is True
    schemas = client.schemas()
    assert schemas is not None and any("User" in str(item.get("id")) for item in schemas)


def test_discovery_absent(make_server: Any, make_client: Any) -> None:
    server = make_server(discovery=False)
    client = make_client(server.url)
    assert client.service_provider_config() is None
    assert client.schemas() is None
    report = client.test_connection()
    assert report.discovery_available is False and report.supports_patch is None
    # Without discovery PATCH is still tried first.
    created = create_or_adopt(client, rich_user(22)).user
    assert created.id is not None
    server.reset_stats()
    assert client.patch_user(created.id, created, ScimUser(title="P")) is not None
    assert _method_count(server, "PATCH user") == 1


def test_read_only_organisation_refuses_writes(make_server: Any, make_client: Any) -> None:
    server = make_server(read_only=True)
    client = make_client(server.url)
    assert client.list_users() == []
    with pytest.raises(Exception, match="403") as raised:
        create_or_adopt(client, rich_user(23))
    assert raised.value.__class__.__name__ == "PermissionDeniedError"


def test_request_headers(make_server: Any) -> None:
    import httpx

    server = make_server()
    seen: list[httpx.Request] = []
    transport = httpx.HTTPTransport()

    class Recording(httpx.BaseTransport):
        def handle_request(self, request: httpx.Request) -> httpx.Response:
            seen.append(request)
            return transport.handle_request(request)

    from scim_helpers import TOKEN

    from pulumi_workplace import __version__

    with ScimClient(server.url, TOKEN, transport=Recording(), user_agent="acme-sync/2") as client:
        create_or_adopt(client, ScimUser(user_name="h@example.com"))
    post = next(request for request in seen if request.method == "POST")
    assert post.headers["Authorization"] == f"Bearer {TOKEN}"
    assert post.headers["Content-Type"] == "application/json"
    assert post.headers["Accept"] == "application/scim+json, application/json"
    agent = post.headers["User-Agent"]
    assert agent.startswith(f"acme-sync/2 pulumi-workplace/{__version__} (+https://")
    assert f"httpx/{httpx.__version__}" in agent
