"""Bad input and a bad environment are refused before anything runs, in bounded time and
memory: exit status 2, one line naming what is wrong and quoting at most a short prefix of
the value, and nothing written."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from ipsreport.cli import main
from ipsreport.paths import PROJECT_ROOT

TINY = PROJECT_ROOT / "tests" / "fixtures" / "trust" / "tiny.qmd"
TYPED = PROJECT_ROOT / "tests" / "fixtures" / "params" / "typed.qmd"
ROWS = PROJECT_ROOT / "tests" / "fixtures" / "batch" / "rows.qmd"
# 335 bytes that stand for 9^9 strings when expanded.
ALIASES = "\n".join(
    ["a: &a [x, x, x, x, x, x, x, x, x]"]
    + [f"{chr(98 + i)}: &{chr(98 + i)} [{', '.join(['*' + chr(97 + i)] * 9)}]" for i in range(8)]
) + "\n"


def _run(*args: str, env: dict[str, str] | None = None) -> Result:
    return CliRunner().invoke(main, list(args), env=env)


def _refused(result: Result, *expected: str) -> str:
    """Exit 2 and one line holding each of ``expected``; the line."""
    assert result.exit_code == 2, result.output
    lines = result.output.strip().splitlines()
    assert len(lines) == 1, result.output
    assert "Traceback" not in result.output
    for part in expected:
        assert part in lines[0], lines[0]
    assert len(lines[0]) < 500
    return lines[0]


# -- inputs --------------------------------------------------------------------------------


def test_a_parameters_file_with_yaml_aliases(tmp_path: Path) -> None:
    params = tmp_path / "bomb.yml"
    params.write_text(ALIASES, encoding="utf-8")
    assert len(ALIASES.encode()) < 400
    _refused(_run("render", str(TINY), "--execute-params", str(params), "--output-dir",
                  str(tmp_path / "out")), "uses aliases")
    assert not (tmp_path / "out").exists()


def test_a_megabyte_long_value_gives_a_short_message(tmp_path: Path) -> None:
    value = "9" * 1_000_000 + "x"
    _refused(_run("render", str(TYPED), "-P", f"heltal:{value}", "--output-dir",
                  str(tmp_path / "out")), "parameter 'heltal' got '9999")
    _refused(_run("render", str(TYPED), "-P", f"ukendt:{value}"), "unknown parameter")
    _refused(_run("som", "--set", f"participants_per_year={value}"), "participants_per_year")


def test_a_parameters_file_that_is_not_utf8(tmp_path: Path) -> None:
    params = tmp_path / "latin1.yml"
    params.write_bytes("navn: Ærø\n".encode("latin-1"))
    _refused(_run("render", str(TINY), "--execute-params", str(params)), "not UTF-8 text")


@pytest.mark.parametrize(
    "content", [b"\x00\x01\x02binary\xff" * 100, b"%PDF-1.7\n\xe2\xe3\xcf\xd3"]
)
def test_a_binary_file_given_as_a_brief(tmp_path: Path, content: bytes) -> None:
    brief = tmp_path / "binary.qmd"
    brief.write_bytes(content)
    _refused(_run("render", str(brief), "--output-dir", str(tmp_path / "out")), "not a brief")
    assert not (tmp_path / "out").exists()


@pytest.mark.parametrize(
    ("setting", "expected"),
    [
        ("participants_per_year=abc", "participants_per_year: 'abc' is not allowed"),
        ("prices.kommune=", "prices.kommune: '' is not allowed"),
        ("prices=5", "not an input of the scenario"),
        ("nothing", "expected NAME=VALUE"),
        ("=5", "expected NAME=VALUE"),
        ("effect_pp=.nan", "effect_pp: '.nan' is not allowed"),
        ("horizon_years=0", "horizon_years: 0 is not allowed"),
        ("intervention_years_max=0", "intervention_years_max"),
    ],
)
def test_malformed_som_settings(setting: str, expected: str) -> None:
    _refused(_run("som", "--set", setting), expected)


# -- the environment and the options -------------------------------------------------------


@pytest.mark.parametrize("value", ["abc", "-1", "1e9", "12.5", "99999999999999", "٣"])
def test_source_date_epoch(tmp_path: Path, value: str) -> None:
    table = tmp_path / "t.csv"
    table.write_text("kode,navn\n1,En\n", encoding="utf-8")
    for command in (["render", str(TINY)], ["batch", str(ROWS), "--table", str(table)]):
        _refused(_run(*command, "--output-dir", str(tmp_path / "out"),
                      env={"SOURCE_DATE_EPOCH": value}), "SOURCE_DATE_EPOCH must be")
    assert not (tmp_path / "out").exists()


@pytest.mark.parametrize("value", ["nan", "inf", "-inf", "0.5", "0", "1e9", "abc"])
def test_timeout(tmp_path: Path, value: str) -> None:
    _refused(_run("render", str(TINY), "--timeout", value, "--output-dir",
                  str(tmp_path / "out")), "--timeout")
    assert not (tmp_path / "out").exists()


def test_output_dir(tmp_path: Path) -> None:
    _refused(_run("render", str(TINY), "--output-dir", ""), "--output-dir: an empty name")
    _refused(_run("render", str(TINY), "--output-dir", "   "), "--output-dir: an empty name")
    (tmp_path / "file").write_text("x", encoding="utf-8")
    _refused(_run("render", str(TINY), "--output-dir", str(tmp_path / "file")),
             "exists and is not a folder")
    _refused(_run("render", str(TINY), "--output-dir", str(tmp_path / "file" / "sub")),
             "cannot be made")
    _refused(_run("batch", str(ROWS), "--table", str(tmp_path / "t.csv"), "--output-dir",
                  str(tmp_path / "file" / "sub")), "cannot be made")


def test_the_data_folder(tmp_path: Path) -> None:
    _refused(_run("render", str(TINY), "--data-dir", str(tmp_path / "none")),
             "--data-dir", "is not a folder")
    _refused(_run("render", str(TINY), env={"IPSREPORT_DATA_DIR": str(tmp_path / "none")}),
             "IPSREPORT_DATA_DIR", "is not a folder")
    broken = tmp_path / "data"
    shutil.copytree(PROJECT_ROOT / "data", broken)
    (broken / "trial.yaml").write_text("figures: [", encoding="utf-8")
    result = _run("render", str(TINY), "--data-dir", str(broken), "--output-dir",
                  str(tmp_path / "out"))
    assert result.exit_code == 2 and "trial.yaml: not valid YAML" in result.output
    assert not (tmp_path / "out").exists()


def test_the_quarto_engine_without_quarto(tmp_path: Path) -> None:
    empty = tmp_path / "bin"
    empty.mkdir()
    _refused(_run("render", str(TINY), "--engine", "quarto", "--output-dir",
                  str(tmp_path / "out"), env={"PATH": str(empty)}),
             "--engine quarto: no quarto on PATH")
    assert not (tmp_path / "out").exists()


def test_an_only_that_names_nothing(tmp_path: Path) -> None:
    table = tmp_path / "t.csv"
    table.write_text("kode,navn\n1,En\n", encoding="utf-8")
    for only in ("", ",", " , "):
        _refused(_run("batch", str(ROWS), "--table", str(table), "--only", only,
                      "--output-dir", str(tmp_path / "out")), "--only", "names no row")
    assert not (tmp_path / "out").exists()


def test_a_click_usage_error_is_one_line_too() -> None:
    _refused(_run("render", "no-such-brief.qmd"), "does not exist")
    _refused(_run("render", str(TINY), "--engine", "nonsense"), "--engine")
    assert os.environ.get("IPSREPORT_DATA_DIR") is None  # the command restored it
