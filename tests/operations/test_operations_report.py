"""Run summaries, their terminal and Markdown rendering, escaping, and the `report` command."""

from __future__ import annotations

from pathlib import Path

import pytest

from pulumi_workplace.cli import main
from pulumi_workplace.operations import (
    ProvisioningLog,
    read_log,
    render_markdown,
    render_terminal,
    summarise,
)
from pulumi_workplace.operations._escape import markdown_cell, terminal_cell

HOSTILE = '=HYPERLINK("http://evil.example")|<img src=x onerror=alert(1)>\nsecond [x](y)'


def _write_run(path: Path, run_id: str = "run-7") -> None:
    log = ProvisioningLog(path, stack="prod", run_id=run_id)
    for n in range(3):
        log.record("create", person=f"new{n}@contoso.com", workplace_id=str(n), status="success")
    log.record("update", person="carol@contoso.com", workplace_id="10", status="success")
    log.record("deactivate", person="dave@contoso.com", workplace_id="11", status="success")
    log.record("skip", person="erin@contoso.com", workplace_id=None, status="skipped")
    log.record(
        "create",
        person=HOSTILE,
        workplace_id=None,
        status="failure",
        http_status=409,
        error="Conflict (409) on POST /Users: userName taken",
    )
    log.record(
        "update", person="+frank@contoso.com", workplace_id="12", status="failure", error=None
    )


def test_summarise_counts_and_failures(tmp_path: Path) -> None:
    path = tmp_path / "log.jsonl"
    _write_run(path, "a")
    _write_run(path, "b")
    summary = summarise(read_log(path))
    assert summary.total == 16
    assert summary.by_action == {"create": 8, "update": 4, "deactivate": 2, "skip": 2}
    assert summary.by_status == {"success": 10, "failure": 4, "skipped": 2}
    assert summary.by_action_status["create"] == {"success": 6, "failure": 2}
    assert summary.runs == ["a", "b"] and summary.stacks == ["prod"]
    assert summary.first_time is not None and summary.last_time is not None
    assert summary.first_time <= summary.last_time
    assert [f.person for f in summary.failures][:2] == [HOSTILE, "+frank@contoso.com"]
    assert summary.failures[0].reason.startswith("Conflict (409)")
    assert summary.failures[1].reason == "(no reason recorded)"
    assert summary.failed == 4


@pytest.mark.parametrize("prefix", ["=", "+", "-", "@", "\t", "\r"])
def test_formula_prefixes_get_a_quote(prefix: str) -> None:
    assert markdown_cell(prefix + "SUM(A1)").startswith("'")
    assert terminal_cell(prefix + "SUM(A1)").startswith("'")
    assert markdown_cell("a" + prefix).startswith("a")


def test_markdown_cell_escapes_pipes_newlines_html_markdown_and_links() -> None:
    cell = markdown_cell(HOSTILE)
    assert cell.startswith("'=HYPERLINK")
    assert "\n" not in cell and "\r" not in cell
    assert "<" not in cell and ">" not in cell
    assert "|" not in cell.replace("\\|", "")
    assert "\\[x\\](y)" in cell
    assert "http://" not in cell  # no bare-URL autolink


def test_control_and_bidi_characters_are_made_visible() -> None:
    text = "evil\x1b[2Jname\u202ereversed"
    for cell in (terminal_cell(text), markdown_cell(text)):
        assert "\x1b" not in cell and "\u202e" not in cell
        assert "U+001B" in cell and "U+202E" in cell


def test_render_terminal_is_aligned_and_colourless_off_a_tty(tmp_path: Path) -> None:
    path = tmp_path / "log.jsonl"
    _write_run(path)
    text = render_terminal(summarise(read_log(path)), colour=False)
    assert "\x1b" not in text
    lines = text.splitlines()
    header = next(line for line in lines if line.startswith("action"))
    table = lines[lines.index(header) : lines.index(header) + 7]
    # Right-aligned numbers: every row of the counts table ends in the same column.
    assert len({len(row) for row in table}) == 1
    assert ["total", "5", "2", "1", "0", "8"] in [line.split() for line in lines]
    assert "Failures (2)" in text
    assert "'=HYPERLINK" in text and "\n second" not in text
    assert "\x1b[" in render_terminal(summarise(read_log(path)), colour=True)


def test_render_markdown_has_counts_and_failures_tables(tmp_path: Path) -> None:
    path = tmp_path / "log.jsonl"
    _write_run(path)
    text = render_markdown(summarise(read_log(path)))
    assert "| action | success | failure | skipped | warning | total |" in text
    assert "| create | 3 | 1 | 0 | 0 | 4 |" in text
    assert "| total | 5 | 2 | 1 | 0 | 8 |" in text
    assert "### Failures (2)" in text
    failure_rows = [line for line in text.splitlines() if "contoso" in line or "HYPERLINK" in line]
    assert len(failure_rows) == 2
    for row in failure_rows:
        # Six columns: seven unescaped pipes.
        assert row.replace("\\|", "").count("|") == 7
    assert "| '+frank@contoso.com |" in text
    assert "<img" not in text


def test_render_markdown_caps_the_failure_list(tmp_path: Path) -> None:
    path = tmp_path / "log.jsonl"
    log = ProvisioningLog(path, stack="s", run_id="r")
    for n in range(7):
        log.record("create", person=f"p{n}", workplace_id=None, status="failure", error="x")
    text = render_markdown(summarise(read_log(path)), max_failures=5)
    assert "... and 2 more" in text
    assert "| p6 |" not in text


def test_empty_log_renders(tmp_path: Path) -> None:
    summary = summarise([])
    assert "No records." in render_terminal(summary, colour=False)
    assert "No records." in render_markdown(summary)


def test_report_command_formats_output_and_exit_codes(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "log.jsonl"
    _write_run(path, "old")
    log = ProvisioningLog(path, stack="prod", run_id="new")
    log.record("create", person="zoe@contoso.com", workplace_id="99", status="success")

    assert main(["report", str(path)]) == 0
    out = capsys.readouterr().out
    assert "2 runs" in out and "\x1b" not in out  # captured stdout is not a TTY

    assert main(["report", str(path), "--fail-on-failures"]) == 1
    capsys.readouterr()
    assert main(["report", str(path), "--latest", "--fail-on-failures"]) == 0
    assert "run new" in capsys.readouterr().out

    summary_file = tmp_path / "summary" / "step.md"
    summary_file.parent.mkdir()
    summary_file.write_text("# Earlier step\n")
    args = ["report", str(path), "--run-id", "old", "--format", "markdown"]
    assert main([*args, "--output", str(summary_file), "--append"]) == 0
    written = summary_file.read_text()
    assert written.startswith("# Earlier step\n") and "| total | 5 | 2 | 1 | 0 | 8 |" in written
    assert capsys.readouterr().out == ""


def test_report_command_on_a_missing_or_damaged_log(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["report", str(tmp_path / "absent.jsonl")]) == 2
    assert "no provisioning log" in capsys.readouterr().err
    path = tmp_path / "log.jsonl"
    path.write_text("not json\n")
    _write_run(path)
    assert main(["report", str(path)]) == 0
    captured = capsys.readouterr()
    assert "skipped unreadable line(s) 1" in captured.err
    assert "total" in captured.out


def test_reports_carry_the_accounts_that_match_no_person_once_per_run(tmp_path: Path) -> None:
    path = tmp_path / "log.jsonl"
    for run in ("a", "b"):
        log = ProvisioningLog(path, stack="prod", run_id=run)
        line = f"{2 if run == 'a' else 1} account(s) in the tenant match no person ({run})"
        log.record("unmanaged", person=None, workplace_id=None, status="warning", error=line)
    summary = summarise(read_log(path))
    assert summary.unmanaged == [
        "2 account(s) in the tenant match no person (a)",
        "1 account(s) in the tenant match no person (b)",
    ]
    markdown = render_markdown(summary)
    assert "### Accounts that match no person in the directory" in markdown
    assert "- 1 account(s) in the tenant match no person (b)" in markdown
    assert "match no person (a)" in render_terminal(summary, colour=False)
