"""operations/discovery.list_accounts: the whole tenant once, in two halves above 2,000."""

from __future__ import annotations

import json

import pytest

from pulumi_harness import E2E_TOKEN as TOKEN
from pulumi_workplace.operations.discovery import AccountListingError, list_accounts
from pulumi_workplace.settings import load_settings

CORE = "urn:ietf:params:scim:schemas:core:2.0:User"


def _tenant(path, count: int) -> str:
    """An emulator data file of `count` accounts."""
    with path.open("w") as out:
        header = {"format": "pulumi-workplace-emulator", "version": 1, "next_id": count + 1}
        out.write(json.dumps(header) + "\n")
        for i in range(count):
            user = {"schemas": [CORE], "id": str(1000 + i), "userName": f"u{i}@contoso.com"}
            out.write(json.dumps({"put": user}) + "\n")
    return str(path)


@pytest.mark.parametrize(("count", "requests"), [(0, 1), (100, 1), (250, 3), (2_345, 24)])
def test_every_account_once_in_one_request_per_page(make_emulator, tmp_path, count, requests):
    server = make_emulator(data_file=_tenant(tmp_path / "tenant.jsonl", count))
    settings = load_settings(
        {"workplace:tenantUrl": server.url, "workplace:token": TOKEN, "workplace:pageSize": 10},
        environ={},
    )
    server.reset_stats()
    listed = list_accounts(settings)  # pageSize below 100 still lists 100 per page
    assert sorted(int(u.id) for u in listed) == list(range(1000, 1000 + count))
    stats = server.stats()
    assert stats["by_method_kind"]["GET users"] == requests
    assert stats["writes"] == 0


def test_a_failed_listing_names_the_cause_never_the_token(make_emulator):
    server = make_emulator()
    settings = load_settings(
        {"workplace:tenantUrl": server.url, "workplace:token": "wrong-token-123"}, environ={}
    )
    with pytest.raises(AccountListingError) as raised:
        list_accounts(settings)
    assert "listing the accounts of the tenant failed" in str(raised.value)
    assert "wrong-token-123" not in str(raised.value)
