"""Discovery endpoints, and switching them off like Work Accounts."""

from __future__ import annotations

from emulator_helpers import ACCOUNT, AUTH_METHOD, CORE, ENTERPRISE, FRONTLINE, START_TERM

DISCOVERY = ["ServiceProviderConfig", "ServiceProviderConfigs", "Schemas", "ResourceTypes"]


def test_service_provider_config_in_both_spellings(api):
    singular = api.get("ServiceProviderConfig")
    plural = api.get("ServiceProviderConfigs")
    assert singular.status_code == plural.status_code == 200
    assert singular.json()["patch"]["supported"] is True
    assert singular.json()["filter"]["supported"] is True
    assert singular.json()["bulk"]["supported"] is False
    assert plural.json()["patch"] == singular.json()["patch"]


def test_schemas_and_resource_types(api):
    schemas = {s["id"] for s in api.get("Schemas").json()["Resources"]}
    assert {CORE, ENTERPRISE, START_TERM, ACCOUNT, AUTH_METHOD, FRONTLINE} <= schemas
    user_schema = api.get("Schemas/Users").json()
    assert user_schema["id"] == CORE
    account = api.get(f"Schemas/{ACCOUNT}").json()
    mutability = {a["name"]: a["mutability"] for a in account["attributes"]}
    assert mutability["invited"] == "readWrite"
    assert mutability["claimed"] == "readOnly"
    (user_type,) = api.get("ResourceTypes").json()["Resources"]
    assert user_type["endpoint"] == "/Users"
    assert {e["schema"] for e in user_type["schemaExtensions"]} == {
        ENTERPRISE,
        START_TERM,
        ACCOUNT,
        AUTH_METHOD,
        FRONTLINE,
    }


def test_discovery_can_be_switched_off(make_emulator, make_client):
    client = make_client(make_emulator(discovery=False))
    assert [client.get(path).status_code for path in DISCOVERY] == [404] * len(DISCOVERY)
    assert client.get("Users").status_code == 200
