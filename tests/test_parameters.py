"""A parameter's value is exactly what the user gave, typed by the brief's declaration.

Property tests (hypothesis) over arbitrary text and numbers, through the one rule every
entry point uses (``-P``, ``--execute-params``, batch cells, ``som --set``): what goes in
is what the brief's cell receives, or a refusal that names the parameter and the value.
"""

from __future__ import annotations

import ast
import datetime as dt
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ipsreport.batch import read_table
from ipsreport.cli import main
from ipsreport.errors import ParameterError
from ipsreport.render import Kernel, execute, prepare, read_brief

TYPED = Path(__file__).parent / "fixtures" / "params" / "typed.qmd"
BRIEF = read_brief(TYPED)
PROFILE = settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
WHOLE = re.compile(r"\s*[+-]?[0-9]+\s*")


def _injected(given: dict[str, Any]) -> dict[str, Any]:
    """The values the brief's cell receives: the injected cell's assignments, evaluated as
    the kernel evaluates them (they are Python literals)."""
    cell = next(c for c in prepare(BRIEF, given).notebook.cells
                if "injected-parameters" in c.metadata.get("tags", []))
    tree = ast.parse(cell.source)
    return {node.targets[0].id: ast.literal_eval(node.value)  # type: ignore[attr-defined]
            for node in tree.body if isinstance(node, ast.Assign)}


@PROFILE
@given(st.text())
def test_a_text_parameter_receives_exactly_the_characters_given(text: str) -> None:
    assert _injected({"tekst": text}) == {"tekst": text}


@PROFILE
@given(st.integers(-10**30, 10**30), st.sampled_from(["", "+", "0", "00"]))
def test_a_whole_number_is_its_decimal_digits(number: int, prefix: str) -> None:
    text = (prefix + str(number)) if number >= 0 else str(number)
    assert _injected({"heltal": text}) == {"heltal": number}


@PROFILE
@given(st.text())
def test_anything_else_is_refused_as_a_whole_number_naming_parameter_and_value(
    text: str,
) -> None:
    if WHOLE.fullmatch(text):
        return
    with pytest.raises(ParameterError) as refused:
        prepare(BRIEF, {"heltal": text})
    message = str(refused.value)
    assert "parameter 'heltal' got " in message and "it takes a whole number" in message
    assert len(message) < 300  # a short prefix of the value, however long it is


@PROFILE
@given(st.floats(allow_nan=False, allow_infinity=False))
def test_a_decimal_number_round_trips(number: float) -> None:
    assert _injected({"decimaltal": repr(number)}) == {"decimaltal": number}


@pytest.mark.parametrize(
    ("name", "text"),
    [
        ("heltal", "010"),  # YAML 1.1 would read 8
        ("heltal", "0o17"), ("heltal", "0x1F"), ("heltal", "1_000"), ("heltal", "1:30"),
        ("heltal", "yes"), ("heltal", "1e3"), ("heltal", "3.0"),
        ("decimaltal", ".inf"), ("decimaltal", ".nan"), ("decimaltal", "nan"),
        ("decimaltal", "inf"), ("decimaltal", "1e999"), ("decimaltal", "3,5"),
        ("decimaltal", "0x10"), ("valg", "yes"), ("valg", "on"), ("valg", "1"),
        ("dato", "20.12.2018"), ("dato", "2018-02-30"), ("valgfrit", "~"),
    ],
)
def test_yaml_shapes_are_refused_or_read_as_plain_decimals(name: str, text: str) -> None:
    if (name, text) == ("heltal", "010"):
        assert _injected({"heltal": text}) == {"heltal": 10}
        return
    with pytest.raises(ParameterError, match=rf"parameter '{name}' got "):
        prepare(BRIEF, {name: text})


def test_text_that_yaml_would_read_otherwise_stays_text() -> None:
    for text in ("010", "yes", "#kommentar", "null", "~", "2018-12-20", "1:30", "12345678"):
        assert _injected({"tekst": text}) == {"tekst": text}


def test_a_cvr_number_for_the_letter() -> None:
    letter = read_brief(Path(__file__).parent.parent / "reports" / "minister-letter.qmd")
    assert prepare(letter, {"cvr": "12345678"}).params == {"cvr": "12345678"}
    with pytest.raises(ParameterError, match="cvr"):
        prepare(letter, {"cvr": "1234567"})


def test_every_entry_point_uses_the_rule(tmp_path: Path) -> None:
    # A batch table's cells are text, typed by the brief's declaration.
    table = tmp_path / "t.csv"
    table.write_text("tekst,heltal\n010,010\nyes,0x10\n", encoding="utf-8")
    first, second = read_table(table, BRIEF.parameters).rows
    assert _injected(dict(first.params)) == {"tekst": "010", "heltal": 10}
    with pytest.raises(ParameterError, match="'0x10'"):
        prepare(BRIEF, dict(second.params))
    # A parameters file is read without YAML's types.
    params = tmp_path / "p.yml"
    params.write_text("tekst: 010\nheltal: 0o17\n", encoding="utf-8")
    result = CliRunner().invoke(main, ["render", str(TYPED), "--execute-params", str(params),
                                       "--output-dir", str(tmp_path / "out")])
    assert result.exit_code == 2
    assert result.output.splitlines() == [
        "ipsreport: tests/fixtures/params/typed.qmd: parameter 'heltal' got '0o17', but it "
        "takes a whole number (decimal digits, with an optional sign)"
    ]
    assert not (tmp_path / "out").exists()
    # ipsreport som --set, typed by the scenario's fields.
    result = CliRunner().invoke(main, ["som", "--set", "horizon_years=1e2"])
    assert result.exit_code == 2
    assert "--set horizon_years: '1e2' is not allowed: it takes a whole number" in (
        result.output)
    # Participants are an expected number (a small municipality's 0,3 a year): decimal.
    assert CliRunner().invoke(main, ["som", "--set", "participants_per_year=0.3"]).exit_code == 0
    assert CliRunner().invoke(main, ["som", "--set", "prices.kommune=1e5"]).exit_code == 0


# -- what the kernel receives ------------------------------------------------------------------


@pytest.fixture(scope="module")
def kernel() -> Iterator[Kernel]:
    with Kernel() as running:
        yield running


def _received(kernel: Kernel, given: dict[str, str]) -> dict[str, Any]:
    execute(prepare(BRIEF, given), kernel=kernel)
    names = ("tekst", "heltal", "decimaltal", "valg", "dato", "valgfrit")
    reply = kernel.request("", what="a test", user_expressions={n: f"repr({n})" for n in names})
    results = reply["content"]["user_expressions"]
    return {n: ast.literal_eval(ast.literal_eval(results[n]["data"]["text/plain"]))
            for n in names}


@pytest.mark.render
@settings(max_examples=15, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(text=st.text(min_size=0, max_size=40), number=st.integers(-10**6, 10**6),
       decimal=st.floats(allow_nan=False, allow_infinity=False, width=32))
def test_the_cell_receives_what_was_given(
    kernel: Kernel, text: str, number: int, decimal: float
) -> None:
    received = _received(kernel, {"tekst": text, "heltal": str(number),
                                  "decimaltal": repr(decimal), "valg": "true",
                                  "dato": "2024-02-29", "valgfrit": ""})
    assert received["tekst"] == text
    assert received["heltal"] == number
    assert received["decimaltal"] == decimal
    assert received["valg"] is True
    assert received["dato"] == "2024-02-29"  # papermill injects a date as its ISO text
    assert dt.date.fromisoformat(received["dato"]) == dt.date(2024, 2, 29)
    assert received["valgfrit"] is None  # an empty optional number: not given
