"""Entra ID expressions: syntax, every function, and errors with positions."""

from __future__ import annotations

import datetime as dt
import re

import pytest

from pulumi_workplace.mapping import ExpressionError, compile_expression
from pulumi_workplace.mapping.context import Context
from pulumi_workplace.mapping.functions import FUNCTIONS
from pulumi_workplace.mapping.values import EvaluationError, SkipFlow, Value

from .conftest import person

NOW = dt.datetime(2025, 11, 20, 9, 30, 0, tzinfo=dt.UTC)
JOHN = person(
    "John.Doe@contoso.com",
    givenName="John",
    surname="Doe",
    mail=None,
    mailNickname="john_doe72",
    telephoneNumber="+91 9998887777",
    mobile="+1 (999) 888-7777",
    department="Sales",
    country="USA",
    state="QLD",
    accountEnabled=True,
    employeeHireDate="2012-03-16T07:00:00Z",
    extensionAttribute1="20150123105347.1Z",
    extensionAttribute5="PermissionSetOne, PermissionSetTwo, PermissionSetOne",
    AddressLineData="545 Tremont Street",
    lastLogonTimestamp="129699324000000000",
)


def run(text: str, role: str | None = "Employee", who: object = JOHN) -> Value:
    context = Context(person=who, role=role, soft_deleted=False, now=NOW)  # type: ignore[arg-type]
    return compile_expression(text).evaluate(context)


# Examples from Microsoft's reference page, then edge cases.
CASES: list[tuple[str, Value]] = [
    ('Append([userPrincipalName], ".test")', "John.Doe@contoso.com.test"),
    ("BitAnd(&HF, &HF7)", 7),
    ("CBool([accountEnabled])", True),
    ('CBool([country] = "USA")', True),
    ("CBool([country] = [department])", False),
    ('CStr(CDate("2020-03-16-07:00"))', "3/16/2020 7:00:00 AM"),
    ('CStr(CDate("2021-06-30+08:00"))', "6/29/2021 4:00:00 PM"),
    ('CStr(CDate("2009-06-15T01:45:30-07:00"))', "6/15/2009 8:45:30 AM"),
    ("Coalesce([mail], [userPrincipalName])", "John.Doe@contoso.com"),
    ('Coalesce([mail], [nothing], "fallback")', "fallback"),
    ("Coalesce([mail])", None),
    ('ConvertToBase64("Hello world!")', "SABlAGwAbABvACAAdwBvAHIAbABkACEA"),
    ('ConvertToUTF8Hex("Hello world!")', "48656C6C6F20776F726C6421"),
    ('Count(Split([extensionAttribute5], ","))', 3),
    ("Count([mail])", 0),
    ("CStr(true)", "True"),
    ('CStr(DateAdd("d", 7, CDate("2012-03-16-07:00")))', "3/23/2012 7:00:00 AM"),
    ('CStr(DateAdd("ww", 2, CDate("2012-03-16-07:00")))', "3/30/2012 7:00:00 AM"),
    ('CStr(DateAdd("m", 10, CDate("2012-03-16-07:00")))', "1/16/2013 7:00:00 AM"),
    ('CStr(DateAdd("yyyy", 2, CDate("2012-03-16-07:00")))', "3/16/2014 7:00:00 AM"),
    ('CStr(DateAdd("m", 1, CDate("2024-01-31")))', "2/29/2024 12:00:00 AM"),
    ('DateDiff("d", CDate("2021-08-18+08:00"), CDate("2021-08-31+08:00"))', 13),
    ('DateDiff("d", CDate("8/25/2021 5:41:18 PM"), CDate("2012-03-16-07:00"))', -3449),
    ('DateDiff("ww", CDate("8/25/2021 5:41:18 PM"), CDate("2012-03-16-07:00"))', -493),
    ('DateDiff("m", CDate("8/25/2021 5:41:18 PM"), CDate("2012-03-16-07:00"))', -113),
    ('DateDiff("yyyy", CDate("8/25/2021 5:41:18 PM"), CDate("2012-03-16-07:00"))', -9),
    ('DateDiff("h", CDate("2021-08-24"), CDate("2021-08-25"))', 24),
    ('DateDiff("n", CDate("2021-08-24"), CDate("2021-08-25"))', 1440),
    ('DateDiff("s", "2021-08-24", "2021-08-25")', 86400),
    ("CStr(DateFromNum([lastLogonTimestamp]))", "1/1/2012 11:00:00 PM"),
    ("CStr(DateFromNum(129699324000000000))", "1/1/2012 11:00:00 PM"),
    ('FormatDateTime([extensionAttribute1], , "yyyyMMddHHmmss.fZ", "yyyy-MM-dd")', "2015-01-23"),
    ('FormatDateTime("2020-12-31-08:00", "yyyy-MM-ddzzz", "dd/MM/yyyy HH:mm")', "31/12/2020 08:00"),
    ("IgnoreFlowIfNullOrEmpty([department])", "Sales"),
    ('IIF([country]="USA", [country], [department])', "USA"),
    ('IIF([country]<>"USA", [country], [department])', "Sales"),
    ('IIF([country]="USA", IIF([state]="CA", "True", "False"), "False")', "False"),
    ('IIF(DateDiff("d", Now(), CDate("2025-11-28")) > 5, "later", "soon")', "later"),
    ('IIF([mail] = "", "no mail", "mail")', "no mail"),
    ('IIF([mail] > "a", "x", "y")', "y"),
    ('InStr("The quick brown fox", "quick")', 5),
    ('InStr("repEated", "e", 3, vbBinaryCompare)', 7),
    ('InStr("repEated", "e", 3, vbTextCompare)', 4),
    ('InStr("abc", "z")', 0),
    ("IsNull([mail])", True),
    ("IsNull([surname])", False),
    ('IsNullOrEmpty("")', True),
    ("IsPresent([surname])", True),
    ("IsString([surname])", True),
    ("IsString([accountEnabled])", False),
    ('Item(Split([extensionAttribute5], ","), 2)', "PermissionSetTwo"),
    ('Item(Split([extensionAttribute5], ","), 9)', None),
    ('Join(", ", "", [surname], [givenName])', "Doe, John"),
    ('Join(".", Split("a,b", ","), "c")', "a.b.c"),
    ('Join(" ", [mail], [nothing])', None),
    ('Left("John Doe", 3)', "Joh"),
    ('Left("John Doe", -1)', "John Doe"),
    ('Left("John", 0)', ""),
    ("Left([mail], 2)", ""),
    ("Mid([givenName], 1, 3)", "Joh"),
    ('Mid("abc", 2, 10)', "bc"),
    ('NormalizeDiacritics("Zoë Ñúñez-Łącka Ærø Straße")', "Zoe Nunez-Lacka AEroe Strasse"),
    ('Not("True")', False),
    ("Not(false)", True),
    ("Not([mail])", True),
    ("CStr(Now())", "11/20/2025 9:30:00 AM"),
    ('NumFromDate("2012-01-01T23:00:00Z")', 129699324000000000),
    ('PCase("PABLO GONSALVES (SECOND)")', "Pablo Gonsalves (Second)"),
    ('PCase("PINTO-DE\'SILVA", " \'-")', "Pinto-De'Silva"),
    ('PCase("o\'NEIL mcDONALD")', "O'neil Mcdonald"),
    ("Redact([givenName])", "John"),
    (
        'Join(",", RemoveDuplicates(Split([extensionAttribute5], ",")))',
        "PermissionSetOne,PermissionSetTwo",
    ),
    ('Replace([userPrincipalName], "@contoso.com", , , "", , )', "John.Doe"),
    (
        'Replace("Product Developer", "Product Developer", , , "Software Engineer", , )',
        "Software Engineer",
    ),
    ('Replace("jsmith", "<username>", , , , , "<username>@contoso.com")', "jsmith@contoso.com"),
    (
        'Replace([telephoneNumber], , "\\\\+(?<isdCode>\\\\d* )(?<phoneNumber>\\\\d{10})", '
        ', "${phoneNumber}", , )',
        "9998887777",
    ),
    ('Replace([mobile], , "[()\\\\s-]+", , "", , )', "+19998887777"),
    (
        'Replace([AddressLineData], , "(?<streetNumber>^\\\\d*)", "streetNumber", "888", , )',
        "888 Tremont Street",
    ),
    ('Replace([userPrincipalName], , "(?<Suffix>@(.)*)", "Suffix", "", , )', "John.Doe"),
    (
        'Replace([nothing], , "\\\\+(?<isdCode>\\\\d* )(?<phoneNumber>\\\\d{10})", '
        '"phoneNumber", , [telephoneNumber], )',
        "9998887777",
    ),
    ('Replace([mailNickname], , "[a-zA-Z_]*", , "", , )', "72"),
    ('Replace("a$b", "$", , , "\\\\", , )', "a\\b"),
    ('SelectUniqueValue([mail], Join(".", [givenName], [surname]), "x")', "John.Doe"),
    ("SingleAppRoleAssignment([appRoleAssignments])", "Employee"),
    (
        'Split([extensionAttribute5], ",")',
        ["PermissionSetOne", "PermissionSetTwo", "PermissionSetOne"],
    ),
    ('StripSpaces(" a b  c ")', "abc"),
    (
        'Switch([state], "Australia/Sydney", '
        '"NSW", "Australia/Sydney", "QLD", "Australia/Brisbane")',
        "Australia/Brisbane",
    ),
    ('Switch([mail], "default", "", "empty")', "empty"),
    ('Switch([department], "other", "sales", "lower")', "other"),
    ('Switch([accountEnabled], , "True", "on", "False", "off")', "on"),
    (
        'ToLower(Join("@", '
        'NormalizeDiacritics(StripSpaces(Join(".", "Zoë", "Van Dam"))), "contoso.com"))',
        "zoe.vandam@contoso.com",
    ),
    ('ToUpper("straße", "de-DE")', "STRASSE"),
    ('Word("The quick brown fox", 3, " ")', "brown"),
    ('Word("This,string!has&many separators", 3, ",!&#")', "has"),
    ('Word("one two", 5, " ")', ""),
    ('Join("", 1000, "x")', "1000x"),
    ('"say ""hi"""', 'say "hi"'),
    ('"Company name: \\"Contoso\\""', 'Company name: "Contoso"'),
    ("[objectId]", "John.Doe@contoso.com"),
    ("[IsSoftDeleted]", False),
    ("[DEPARTMENT]", "Sales"),
]


@pytest.mark.parametrize(("text", "expected"), CASES, ids=[c[0][:60] for c in CASES])
def test_expression_value(text: str, expected: Value) -> None:
    assert run(text) == expected


def test_every_function_of_the_brief_is_covered_by_a_case() -> None:
    used = set().union(*(compile_expression(text).functions for text, _ in CASES))
    missing = set(FUNCTIONS) - used - {"Guid", "RandomString"}
    assert not missing


def test_non_deterministic_functions() -> None:
    guid = run("Guid()")
    assert isinstance(guid, str) and re.fullmatch(r"[0-9a-f-]{36}", guid)
    assert run("Guid()") != guid
    text = run('RandomString(10, 2, 2, 2, 1, "?,")')
    assert isinstance(text, str) and len(text) == 10
    assert sum(c.isdigit() for c in text) >= 2 and sum(c.isupper() for c in text) >= 2
    assert "?" not in text and "," not in text
    assert not compile_expression("Guid()").deterministic
    assert compile_expression('Join("", Now())').functions == {"Join", "Now"}


def test_ignore_flow_signals_skip() -> None:
    with pytest.raises(SkipFlow):
        run('IgnoreFlowIfNullOrEmpty(Switch([prefix], "", "3443", "Dr."))')


def test_redact_marks_the_context() -> None:
    context = Context(person=JOHN, role=None, soft_deleted=False, now=NOW)
    compile_expression("Redact([givenName])").evaluate(context)
    assert context.redacted


@pytest.mark.parametrize(
    ("text", "fragment"),
    [
        ('CDate("next monday")', "'next monday' is not a date"),
        ('Mid("abc", 0, 1)', "Mid: start must be >= 1"),
        ('Left("abc", "x")', "Left: NumChars must be a number"),
        ('IIF("maybe", 1, 2)', "IIF condition must be True or False"),
        ('Split("a,b", "")', "delimiter must not be empty"),
        ('FormatDateTime("2020-13", , "yyyy-MM-dd", "yyyy")', "does not match the date format"),
        ('Replace([department], , "x", , [mail], , )', None),
    ],
)
def test_evaluation_errors(text: str, fragment: str | None) -> None:
    if fragment is None:
        assert run(text) == "Sales"
        return
    with pytest.raises(EvaluationError, match=re.escape(fragment)):
        run(text)


@pytest.mark.parametrize(
    ("text", "problem", "line", "column"),
    [
        ('Join(" ", [a]', "the expression ends too early; expected ')' or ','", 1, 14),
        ('Join("abc, [a])', "unexpected character '\"' (a string that is never closed?)", 1, 6),
        ("Foo([a] [b])", "unexpected '[b]'", 1, 9),
        ("Jion([a], [b])", "unknown function 'Jion'; did you mean Join?", 1, 1),
        ("toLower([a])", "function names are case-sensitive: ToLower", 1, 1),
        ("Join(\n  [a],\n  Mid([b], 1))", "Mid takes 3 argument(s), got 2", 3, 3),
        ("Guid(1)", "Guid takes 0 argument(s), got 1", 1, 1),
        ('Switch([a], "d", "k")', "Switch takes at least 4 argument(s), got 3", 1, 1),
        ('Switch([a], "d", "k", "v", "k2")', "an even number of arguments", 1, 1),
        ("Coalesce()", "Coalesce takes at least 1 argument(s), got 0", 1, 1),
        ("Append([a], )", "Append: argument 2 must not be empty", 1, 1),
        (
            'Join(" ", SelectUniqueValue([a], [b]))',
            "SelectUniqueValue must be the whole expression",
            1,
            11,
        ),
        (
            "SingleAppRoleAssignment([roles])",
            "SingleAppRoleAssignment takes [appRoleAssignments]",
            1,
            1,
        ),
        ('DateAdd("q", 1, Now())', "interval 'q' is not one of", 1, 1),
        ('Replace([a], , "(", , "", , )', "Replace: bad regular expression '('", 1, 1),
        ('Replace([a], , , , "x", , )', "needs oldValue with replacementValue", 1, 1),
        ("AppRoleAssignmentsComplex([appRoleAssignments])", "Workplace does not have", 1, 1),
        ("[a] = foo", "unknown name 'foo'", 1, 7),
        ("   ", "expression is empty", 1, 1),
    ],
)
def test_expression_errors_show_position(text: str, problem: str, line: int, column: int) -> None:
    with pytest.raises(ExpressionError) as caught:
        compile_expression(text)
    error = caught.value
    assert problem in error.problem
    assert (error.line, error.column) == (line, column)
    rendered = error.render()
    assert f"at line {line}, column {column}:" in rendered
    source_line, caret_line = rendered.splitlines()[-2:]
    assert caret_line.index("^") == column + 1  # two spaces of indent
    assert source_line.strip() == text.splitlines()[line - 1].strip()


def test_expressions_are_capped_at_ten_thousand_characters() -> None:
    with pytest.raises(ExpressionError, match="limit is 10000"):
        compile_expression('Join("", ' + '"x", ' * 2500 + '"y")')


def test_expression_reports_attributes_it_reads() -> None:
    expression = compile_expression('Join(" ", [givenName], Coalesce([mail], [userPrincipalName]))')
    assert expression.attributes == {"givenName", "mail", "userPrincipalName"}
