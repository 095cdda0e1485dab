"""Danish formatting as the sources print it, on Babel's da_DK locale."""

from __future__ import annotations

import datetime as dt

import pytest

from ipsreport.presentation import danish
from tests.conftest import normalise


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (danish.pct(59.5), "59,5 pct."),
        (danish.pct(46.5), "46,5 pct."),
        (danish.points(13.0), "13,0 procentpoint"),
        (danish.mio_kr(3_600_000), "3,6 mio. kr."),
        (danish.kr(28_800), "28.800 kr."),
        (danish.kr(5_300), "5.300 kr."),
        (danish.thousands(2_700), "2.700"),
        (danish.number(27.956989, 2), "27,96"),
        (danish.date(dt.date(2018, 12, 20)), "20. december 2018"),
        (danish.join(["Silkeborg", "Odense", "Frederiksberg", "København"]),
         "Silkeborg, Odense, Frederiksberg og København"),
        (danish.quantity(3600, "dkk_thousand"), "3.600 (1.000 kr.)"),
        (danish.quantity(4, "years"), "4 år"),
    ],
)
def test_formats_as_danish_sources_print(text: str, expected: str) -> None:
    assert normalise(text) == expected


def test_rounds_half_away_from_zero_not_to_even() -> None:
    assert danish.number(0.125, 2) == "0,13"  # Python's round() and Babel's default give 0,12
    assert danish.number(2.5) == "3"
    assert danish.number(-2.5) == "-3"
    assert danish.number(-0.04, 1) == "0,0"  # no "-0,0"




@pytest.mark.parametrize(
    ("value", "expected"),
    [(4, "fire"), (8, "otte"), (3, "tre"), (10, "ti"), (12, "tolv"), (13, "13"), (50, "50"),
     (1, "en"), (1.5, "1,5")],
)
def test_small_whole_numbers_in_words(value: float, expected: str) -> None:
    assert danish.count(value) == expected
    assert danish.count(1, gender="neuter") == "et"


def test_ranges_take_an_en_dash() -> None:
    assert danish.span(1, 2) == "1–2"
    assert danish.span(5.31, 20.57, 1) == "5,3–20,6"
    assert danish.span(-9.52, 7.88, 1) == "-9,5 til 7,9"  # no dash after a minus
