"""The one settings model: documented settings are in it, docs match it, values parse one way."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from pulumi_workplace.settings import (
    SETTINGS,
    SettingsError,
    load_settings,
    read_setting,
    settings_table,
    unknown_settings,
)

DOCS = Path(__file__).resolve().parents[1] / "docs"
ROW = re.compile(r"^\| `workplace:([A-Za-z]+)`[^|]*\|([^|]*)\|")
TABLE = re.compile(
    r"<!-- settings-table:[^\n]*-->\n(?P<table>.*?)<!-- end of settings-table -->", re.DOTALL
)


def _documented_rows() -> dict[str, list[str]]:
    rows: dict[str, list[str]] = {}
    for page in sorted(DOCS.glob("*.md")):
        for line in page.read_text().splitlines():
            match = ROW.match(line)
            if match:
                rows.setdefault(match.group(1), []).append(f"{page.name}: {line[:80]}")
    return rows


def test_the_generated_table_in_configuration_md_matches_the_model():
    text = (DOCS / "configuration.md").read_text()
    match = TABLE.search(text)
    assert match, "docs/configuration.md lost its settings-table markers"
    assert match.group("table") == settings_table(), (
        "docs/configuration.md is out of date: paste the output of "
        "python -c 'from pulumi_workplace.settings import settings_table; print(settings_table())'"
    )


def test_every_documented_setting_is_in_the_model_with_its_environment_variable():
    rows = _documented_rows()
    assert set(rows) >= set(SETTINGS)
    assert set(rows) - set(SETTINGS) == set(), "documented but not a setting"
    for page in sorted(DOCS.glob("*.md")):
        for line in page.read_text().splitlines():
            match = ROW.match(line)
            if not match:
                continue
            env = re.findall(r"`(WORKPLACE_[A-Z_]+)`", match.group(2))
            if env:
                assert env == [SETTINGS[match.group(1)].env], f"{page.name}: {line[:100]}"


@pytest.mark.parametrize("key", [k for k, s in SETTINGS.items() if s.kind == "boolean"])
@pytest.mark.parametrize(
    ("raw", "value"),
    [("true", True), ("on", True), ("yes", True), ("1", True), (True, True), ("off", False)],
)
def test_every_boolean_parses_the_same_way(key, raw, value):
    assert read_setting(key, {f"workplace:{key}": raw}, {}) is value


def test_numbers_lists_and_the_environment_parse_one_way():
    settings = load_settings(
        {"workplace:pageSize": "250", "workplace:notifyTo": '["a@x.com", "b@x.com"]'},
        {"WORKPLACE_REQUEST_TIMEOUT": "7.5", "WORKPLACE_ROLES": "ignored: no such fallback"},
    )
    assert settings.page_size == 250 and settings.request_timeout == 7.5
    assert settings.notify_to == ["a@x.com", "b@x.com"]
    assert load_settings({"workplace:notifyTo": "a@x.com, b@x.com"}, {}).notify_to == [
        "a@x.com",
        "b@x.com",
    ]
    assert load_settings({}, {}).deprovision_threshold == 500
    with pytest.raises(SettingsError, match=r"workplace:pageSize / WORKPLACE_PAGE_SIZE must be"):
        load_settings({"workplace:pageSize": "5000"}, {})
    with pytest.raises(SettingsError, match="workplace:insecureSkipTlsVerify"):
        load_settings({"workplace:insecureSkipTlsVerify": "perhaps"}, {})


def test_unknown_keys_name_the_closest_settings():
    problems = unknown_settings(
        ["workplace:deprovisonThreshold", "workplace:TOKEN", "workplace:token", "aws:region"]
    )
    assert problems == [
        "workplace:TOKEN is not a setting (did you mean workplace:token?); "
        "docs/configuration.md lists them all",
        "workplace:deprovisonThreshold is not a setting (did you mean "
        "workplace:deprovisionThreshold or workplace:deprovisionThresholdPercent or "
        "workplace:deprovision?); "
        "docs/configuration.md lists them all",
    ]
    assert unknown_settings(["workplace:zzzz"]) == [
        "workplace:zzzz is not a setting; docs/configuration.md lists them all"
    ]


def test_the_desired_state_fingerprint_follows_program_settings_only() -> None:
    from pulumi_workplace.settings import desired_state_fingerprint, load_settings

    base = {"workplace:directory": {"format": "csv", "people": "people.csv"}}
    first = desired_state_fingerprint(load_settings(base, environ={}))
    # The environment (where the connection often comes from in CI) plays no part ...
    with_env = load_settings(base, environ={"WORKPLACE_TENANT_URL": "http://127.0.0.1:1/"})
    assert desired_state_fingerprint(with_env) == first
    # ... nor the shard layout (hashed on its own) or an operations setting ...
    for extra in (
        {"workplace:shard": {"count": 3, "index": 1}},
        {"workplace:updateThreshold": "9"},
    ):
        assert desired_state_fingerprint(load_settings({**base, **extra}, environ={})) == first
    # ... but a program setting does.
    changed = load_settings({**base, "workplace:scope": "all"}, environ={})
    assert desired_state_fingerprint(changed) != first
