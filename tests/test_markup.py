"""Typst string literals made by ipsreport.markup hold exactly the text they were made from,
checked by the real Typst compiler: it reads the texts from a JSON file and compares each
with its literal (hypothesis picks the texts, control characters, quotes and backslashes
included)."""

from __future__ import annotations

import json
import tempfile
from pathlib import Path

import typst
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ipsreport import markup

# Any text a JSON file can hold (no lone surrogates), weighted to what needs escaping.
texts = st.lists(
    st.text(st.one_of(st.sampled_from('"\\\n\r\t\x00\x1f\x7f\x85\x9f{}#$<>'),
                      st.characters(blacklist_categories=("Cs",))), max_size=40),
    min_size=1, max_size=8,
)


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(texts)
def test_a_typst_string_literal_holds_exactly_its_text(values: list[str]) -> None:
    with tempfile.TemporaryDirectory() as folder:
        root = Path(folder)
        (root / "texts.json").write_text(json.dumps(values), encoding="utf-8")
        checks = "\n".join(f"#assert.eq(texts.at({index}), {markup.typst_string(value)})"
                           for index, value in enumerate(values))
        (root / "check.typ").write_text(f'#let texts = json("texts.json")\n{checks}\nok\n',
                                        encoding="utf-8")
        typst.compile(str(root / "check.typ"), root=str(root))  # raises if one differs


def test_a_typst_string_escapes_its_quote_backslash_and_control_characters() -> None:
    assert markup.typst_string('a"b\\c\nd\x01') == '"a\\"b\\\\c\\nd\\u{1}"'
