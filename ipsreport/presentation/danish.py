"""Danish number, money and date formatting for readers, on Babel's ``da_DK`` locale.

Rounding rule, everywhere: a value is rounded half away from zero to the digits shown
(59,45 -> "59,5"; 2,5 -> "3"), as Danish public-sector tables do, rather than Python's
and Babel's default of half to even. Babel rounds in the current :mod:`decimal`
context, so the rule is set with :func:`decimal.localcontext`, not by editing strings.

Number and unit are joined by a plain space: Quarto prints an inline string through its
``repr``, so a non-breaking space would reach the reader as a literal ``\xa0``. They stay
on one line all the same: a number shown in a brief is a link to its entry in "Tal og
kilder", whose Markdown makes its spaces no-break, as the entries do in the PDF
(:mod:`origins`). A brief's own prose writes one as Pandoc Markdown's escaped space,
``95\\ pct.``.
"""

from __future__ import annotations

import datetime as dt
import decimal
import functools
import math
from collections.abc import Callable
from typing import Any, TypeVar, cast

from babel.dates import format_date
from babel.lists import format_list
from babel.numbers import format_decimal
from num2words import num2words

from ipsreport.lineage import Operation, is_traced, node_of, plain
from ipsreport.presentation.origins import Number

LOCALE = "da_DK"
# Danish official prose writes whole numbers up to twelve in words ("fire indsatssteder",
# "otte principper") and larger ones, and any number with a unit of measure, in digits.
WORDS_UP_TO = 12
# A range is written with an en dash and no spaces: "1–2 år", "5,3–20,6".
EN_DASH = "\u2013"

_Format = TypeVar("_Format", bound=Callable[..., str])


def _keeps_lineage(function: _Format) -> _Format:
    """A formatter whose text keeps the lineage of the number it formats (its first
    argument): given a traced number (ipsreport.lineage), it returns a
    :class:`~.origins.Number` with that lineage; given a plain one, plain text."""

    @functools.wraps(function)
    def formatted(value: Any, *args: Any, **kwargs: Any) -> str:
        text = function(plain(value), *args, **kwargs)
        return Number(text, value.node) if is_traced(value) else text

    return cast(_Format, formatted)

@_keeps_lineage
def number(value: float, decimals: int = 0) -> str:
    """A number with Danish separators: ``number(2700) == "2.700"``, ``number(27.96, 2)``
    == ``"27,96"``."""
    pattern = "#,##0" + ("." + "0" * decimals if decimals > 0 else "")
    with decimal.localcontext(rounding=decimal.ROUND_HALF_UP):
        text = format_decimal(decimal.Decimal(repr(float(value))), pattern, locale=LOCALE)
    return "0" + text[2:] if text.startswith("-0") and set(text[2:]) <= set(",0") else text


@_keeps_lineage
def count(value: float, gender: str = "common") -> str:
    """A whole count as running text writes it: in words up to twelve, else in digits:
    ``count(4) == "fire"``, ``count(8) == "otte"``, ``count(50) == "50"``. ``gender``
    ("common" or "neuter") picks "en" or "et" for one (num2words gives "et")."""
    if value != int(value):
        return number(value, 1)
    if not 0 <= value <= WORDS_UP_TO:
        return number(value)
    if int(value) == 1:
        return "et" if gender == "neuter" else "en"
    return str(num2words(int(value), lang="da"))


def span(low: float, high: float, decimals: int = 0) -> str:
    """A range with an en dash: ``span(1, 2) == "1–2"``, ``span(5.31, 20.57, 1) == "5,3–20,6"``.
    A range from a negative number reads "-9,5 til 7,9": a dash after a minus sign misleads."""
    low_text, high_text = number(plain(low), decimals), number(plain(high), decimals)
    text = f"{low_text} til {high_text}" if low < 0 else f"{low_text}{EN_DASH}{high_text}"
    if not (is_traced(low) or is_traced(high)):
        return text
    return Number(text, Operation("range", (node_of(low), node_of(high))))


@_keeps_lineage
def pct(value: float, decimals: int = 1) -> str:
    """A share in percent: ``pct(59.5) == "59,5 pct."``."""
    return f"{number(value, decimals)} pct."


@_keeps_lineage
def points(value: float, decimals: int = 1) -> str:
    """A difference of shares: ``points(13.0) == "13,0 procentpoint"``."""
    return f"{number(value, decimals)} procentpoint"


@_keeps_lineage
def kr(value: float, decimals: int = 0) -> str:
    """Kroner: ``kr(28800) == "28.800 kr."``."""
    return f"{number(value, decimals)} kr."


@_keeps_lineage
def mio_kr(value_dkk: float, decimals: int = 1) -> str:
    """Millions of kroner from a value in kroner: ``mio_kr(3_600_000) == "3,6 mio. kr."``."""
    return f"{number(value_dkk / 1e6, decimals)} mio. kr."


@_keeps_lineage
def approx(value: float) -> str:
    """An expected number (an estimate, not a count) with the decimals that keep a small one
    from reading as none: whole from 10 ("125"), one decimal from 0,1 ("0,3", "9,4"), two
    significant digits below that ("0,024"); exactly zero is "0"."""
    size = abs(value)
    if size == 0:
        return "0"
    if size >= 9.95:
        return number(value)
    if size >= 0.095:
        return number(value, 1)
    return number(value, 1 - math.floor(math.log10(size)))


# From this amount (in kroner) up, money() shows mio. kr.: what rounds to "1,0 mio. kr.".
MILLION_FROM = 950_000


@_keeps_lineage
def money(value_dkk: float, like: float | None = None) -> str:
    """An amount as a reader takes it in: mio. kr. with one decimal for results in the
    millions ("3,6 mio. kr."), kroner to three significant digits below ("54.100 kr.",
    "512 kr."), so that a small municipality's amount never reads as "0,0 mio. kr.".
    ``like`` picks the unit by another amount instead (the largest in the same sentence), so
    that amounts read side by side share one unit."""
    if abs(value_dkk if like is None else like) >= MILLION_FROM:
        return mio_kr(value_dkk)
    size = abs(value_dkk)
    if size < 100:
        return kr(value_dkk)
    quantum = decimal.Decimal(1).scaleb(math.floor(math.log10(size)) - 2)
    rounded = decimal.Decimal(repr(float(value_dkk))).quantize(
        quantum, rounding=decimal.ROUND_HALF_UP)
    return kr(float(rounded))


@_keeps_lineage
def thousands(value_dkk_thousand: float) -> str:
    """A budget-table cell in 1.000 kr.: ``thousands(2700) == "2.700"``."""
    return number(value_dkk_thousand, 0)


@_keeps_lineage
def ratio(value: float, decimals: int = 2) -> str:
    """A ratio or factor: ``ratio(2.07) == "2,07"``."""
    return number(value, decimals)


def date(value: dt.date) -> str:
    """A date as Danish letters write it: ``date(date(2018, 12, 20)) == "20. december 2018"``."""
    return format_date(value, "d. MMMM y", locale=LOCALE)


def join(names: tuple[str, ...] | list[str]) -> str:
    """A Danish list: ``join(["a", "b", "c"]) == "a, b og c"``."""
    return format_list(list(names), locale=LOCALE)


@_keeps_lineage
def quantity(value: float, unit: str, decimals: int | None = None) -> str:
    """A figure in its unit as a reader sees it (``unit`` is a :class:`~ipsreport.sources.Unit`
    value): ``quantity(59.5, "pct") == "59,5 pct."``, ``quantity(2.7, "dkk_million")
    == "2,7 mio. kr."``, ``quantity(3600, "dkk_thousand") == "3.600 (1.000 kr.)"``."""
    if unit == "pct":
        return pct(value, 1 if decimals is None else decimals)
    if unit == "pp":
        return points(value, 1 if decimals is None else decimals)
    if unit == "dkk":
        return kr(value, decimals or 0)
    if unit == "dkk_million":
        return mio_kr(value * 1e6, 1 if decimals is None else decimals)
    if unit == "dkk_thousand":
        return f"{thousands(value)} (1.000 kr.)"
    if unit == "eur":
        return f"{number(value, decimals or 0)} euro"
    if unit == "persons":
        return f"{number(value, decimals or 0)} personer"
    if unit in ("years", "months", "weeks"):
        words = {"years": "år", "months": "måneder", "weeks": "uger"}
        return f"{number(value, decimals or 0)} {words[unit]}"
    if unit == "year":
        return str(int(value))
    if unit == "ratio":
        return ratio(value, 2 if decimals is None else decimals)
    return number(value, 0 if decimals is None else decimals)
