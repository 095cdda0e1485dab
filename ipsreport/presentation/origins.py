"""Where every number in a brief comes from, in Danish, for the reader to see.

The Danish formatting (:mod:`ipsreport.presentation.danish`) turns a traced number
(:mod:`ipsreport.lineage`) into a :class:`Number`: the text the reader sees ("59,5 pct.")
that keeps the number's lineage. When a brief shows one (an inline expression, a table
cell, a sentence built by :func:`ipsreport.presentation.brief.text`), it becomes a link to
its entry in the appendix "Tal og kilder" at the end of the brief, and, in HTML, carries a
short account of its origin that shows on hover and on keyboard focus (the link's title;
plain HTML and CSS, no script). The appendix lists
each number once: what it is computed from (each source figure with its meaning and the
citation of its source, each parameter), and how. The same account is embedded in each
output as JSON (a ``<script type="application/json">`` in HTML, a file attached to the PDF)
for ``ipsreport trace``, which reads it back from the file alone.

A sentence built with an f-string keeps its numbers too: while a brief runs (from
:func:`start`, which ``brief.setup`` calls), a :class:`Number` formatted into a string
leaves a marker there, which :func:`markdown` turns back into the number's link. Only text
that reaches the reader through :func:`markdown` is affected; ``str(number)`` is its plain
text.

The document's state (the numbers shown, in the order first shown) lives here, one
document at a time: the kernel runs one brief at a time, and ``start`` begins the next.
"""

from __future__ import annotations

import functools
import json
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from ipsreport import markup
from ipsreport.lineage import Figure, Literal, Node, Operation, Parameter, Setting, leaves
from ipsreport.sources import SourceData, Status

APPENDIX_TITLE = "Tal og kilder"
ENTRY_CLASS = "tal-kilde"  # an entry of the appendix
JSON_ID = "ipsreport-tal"  # the HTML script element's id, and the PDF attachment's stem
JSON_VERSION = 3  # 2: each figure once, in "figures"; 3: each number's "hover"
_MARK_OPEN, _MARK_TEXT, _MARK_CLOSE = "\ue000", "\ue001", "\ue002"
_MARK = re.compile(f"{_MARK_OPEN}([0-9]+){_MARK_TEXT}([^{_MARK_CLOSE}]*){_MARK_CLOSE}")


class Number(str):
    """A number as the reader sees it, and its lineage (see the module)."""

    node: Node

    def __new__(cls, text: str, node: Node) -> Number:
        self = super().__new__(cls, text)
        self.node = node
        return self

    def __format__(self, spec: str) -> str:
        text = str.__format__(str(self), spec)
        if _document is None:
            return text
        return f"{_MARK_OPEN}{_document.keep(self)}{_MARK_TEXT}{text}{_MARK_CLOSE}"

    def _repr_markdown_(self) -> str:
        """How an inline expression shows it: its link (IPython asks for Markdown)."""
        return markdown(self)

    def __reduce__(self) -> tuple[Any, ...]:
        return (Number, (str(self), self.node))


@dataclass
class _Entry:
    number: str  # "tal-3"
    text: str
    node: Node  # a model's shared entry gets a new node when another result adds inputs


@dataclass
class _Document:
    data: SourceData
    kept: list[Number] = field(default_factory=list)  # formatted into strings, by marker
    entries: dict[tuple[object, ...], _Entry] = field(default_factory=dict)

    def keep(self, number: Number) -> int:
        self.kept.append(number)
        return len(self.kept) - 1

    def entry(self, number: Number) -> _Entry:
        """The appendix entry of ``number``: one per number and lineage, and one for all the
        results of a model that :data:`SHARED` names (a table of them would else list the
        same inputs once for every cell)."""
        model = model_of(number.node)
        if model is not None:
            return self._shared(model)
        key = (str(number), number.node)
        found = self.entries.get(key)
        if found is None:
            found = _Entry(f"tal-{len(self.entries) + 1}", str(number), number.node)
            self.entries[key] = found
        return found

    def _shared(self, node: Operation) -> _Entry:
        """The one entry of a model's results (``node`` is one of them): computed from every
        input any of them was computed from (a sensitivity case moves one input; its row
        shows which)."""
        key = ("model", node.method)
        found = self.entries.get(key)
        if found is None:
            found = _Entry(f"tal-{len(self.entries) + 1}", f"Tal fra {SHARED[node.method or '']}",
                           Operation("method", node.args, node.method))
            self.entries[key] = found
        elif isinstance(found.node, Operation) and node.args != found.node.args:
            inputs = tuple(dict.fromkeys((*found.node.args, *node.args)))
            found.node = Operation("method", inputs, node.method)
        return found


_document: _Document | None = None


def start(data: SourceData) -> None:
    """Begin a new document whose figures come from ``data`` (``brief.setup`` calls it)."""
    global _document
    _document = _Document(data)


def markdown(value: object) -> str:
    """``value`` as inline Markdown: escaped text, in which each number is its link."""
    if isinstance(value, Number):
        return _link(value)
    if isinstance(value, markup.Made):
        return value
    # The line is made once, so that the spaces beside a number stay where they are.
    return _resolved(markup.one_line(value), markup.markdown_punctuation)


def links(text: str) -> str:
    """Markdown ``text`` with each number formatted into it (its marker) as its link; the
    rest as it is."""
    return _resolved(text, lambda part: part)


def _resolved(text: str, other: Callable[[str], str]) -> str:
    """``text`` with each marker as its number's link and the parts between through
    ``other``."""
    if _document is None or _MARK_OPEN not in text:
        return other(text)
    document = _document
    parts: list[str] = []
    position = 0
    for match in _MARK.finditer(text):
        parts.append(other(text[position:match.start()]))
        parts.append(_link(document.kept[int(match.group(1))]))
        position = match.end()
    parts.append(other(text[position:]))
    return "".join(parts)


def plain(value: object) -> str:
    """``value`` as plain text, without the markers numbers leave in formatted strings (and
    of a cross-reference, its text)."""
    if isinstance(value, markup.Made):
        return value.visible
    return _MARK.sub(r"\2", str(value))


def _link(number: Number) -> str:
    """The number as a link to its entry in "Tal og kilder".

    In HTML the link's title is the number's account (:func:`short`): the browser shows it
    on hover, the style sheet on keyboard focus, and a screen reader reads it as the link's
    description; plain HTML, no script. The title is not written here but by the links
    filter (``ipsreport/render/links.lua``), from the accounts the appendix's JSON carries:
    an entry's account is then made once, not once for each time its number is shown, and
    Pandoc's Markdown reader, which took 0.1 ms to read each title, reads none. (An account
    as raw HTML beside the link took it three times as long, and nested bracketed spans
    made the whole batch three times slower.)"""
    if _document is None:
        return markup.markdown_text(number)
    # Its spaces no-break (Pandoc Markdown's escaped space): "59,5 pct." and "3,6 mio. kr."
    # stay on one line, on the page and on screen, also in a narrow table column.
    text = markup.markdown_text(number).replace(" ", "\\ ")
    return f"[{text}](#{_document.entry(number).number})"


# -- the account of a number, in Danish --------------------------------------------------

_SYMBOLS = {"+": "+", "-": "−", "*": "×", "/": "/", "//": "//", "**": "^"}
_PRECEDENCE = {"+": 1, "-": 1, "*": 2, "/": 2, "//": 2, "**": 3}
_UNITS = {"pct": "pct.", "pp": "procentpoint", "dkk": "kr.", "dkk_thousand": "(1.000 kr.)",
          "dkk_million": "mio. kr.", "persons": "personer", "years": "år",
          "months": "måneder", "weeks": "uger", "eur": "euro"}
# The space between a number and its unit in an entry's text ("125 personer"), which the
# PDF's entries make a no-break space: a line never ends between the two (as in a number's
# link, :func:`_link`).
_UNIT_SPACE = re.compile(r"(?<=\d) (?=" + "|".join(
    re.escape(unit) for unit in sorted(set(_UNITS.values()), key=len, reverse=True)) + ")")


# An account names the same figures again and again (a municipality's population in most
# of a guide's): each value is formatted once (Babel's formatting is not cheap).
@functools.lru_cache(maxsize=4096)
def _quantity(value: float, unit: str) -> str:
    from ipsreport.presentation import danish

    return str(danish.quantity(value, unit, _decimals(value)))


@functools.lru_cache(maxsize=4096)
def _plain_number(value: float) -> str:
    from ipsreport.presentation import danish

    return str(danish.number(value, _decimals(value)))


def _decimals(value: float) -> int:
    """As many decimals as the value has (at most four): 59.9 -> 1, 243 -> 0."""
    text = f"{float(value):.4f}".rstrip("0").rstrip(".")
    return len(text.split(".")[1]) if "." in text else 0


# The package's method settings (lineage.setting), as a reader is told of them.
SETTINGS: Mapping[str, str] = {
    "significance_level": "signifikansniveauet, som ipsreport tester forskelle på (et "
                          "metodevalg, ikke et tal fra kilderne)",
    "som_sensitivity_wide": "hvor meget ipsreports følsomhedsberegning sætter effekten og "
                            "nettoomkostningen ned og op, som andel (et metodevalg, ikke et "
                            "tal fra kilderne)",
    "som_sensitivity_prices": "hvor meget ipsreports følsomhedsberegning sætter priserne ned "
                              "og op, som andel (et metodevalg, ikke et tal fra kilderne)",
    "som_sensitivity_shortest": "den korteste varighed af effekten i år, som ipsreports "
                                "følsomhedsberegning regner med (et metodevalg, ikke et tal "
                                "fra kilderne)",
    "per_inhabitants": "det antal indbyggere, som ipsreport angiver satsen pr. (et metodevalg, "
                       "ikke et tal fra kilderne)",
    "claims_about_tolerance": "den afvigelse i procent, som ipsreports efterprøvning "
                              "tillader et tal angivet med «ca.» eller «omkring» (et "
                              "metodevalg, ikke et tal fra kilderne)",
    "claims_just_under_tolerance": "hvor langt under i procent ipsreports efterprøvning "
                                   "tillader et tal angivet med «knap» eller «næsten» at ligge "
                                   "(et metodevalg, ikke et tal fra kilderne)",
}

# Models whose results share one entry in "Tal og kilder" ("Tal fra ..."), by name.
SHARED: Mapping[str, str] = {
    "som": "ipsreports illustration efter SØM's metode",
}

# Intervals whose two ends are named methods (wilson_low and wilson_high, ...), as a whole.
INTERVALS: Mapping[str, Callable[[Sequence[str]], str]] = {
    "wilson": lambda a: f"Wilsons 95 pct.-interval for {a[0]} af {a[1]}",
    "newcombe": lambda a: f"Newcombes 95 pct.-interval for forskellen mellem {a[0]} af {a[2]} "
                          f"og {a[1]} af {a[3]}",
}

_LISTED = 6  # a longer sum is named by its number of terms; its inputs are listed below it

# Named methods (lineage.derived): how each reads, from its inputs' texts.
METHODS: Mapping[str, Callable[[Sequence[str]], str]] = {
    "wilson_low": lambda a: f"nedre grænse af Wilsons 95 pct.-interval for {a[0]} af {a[1]}",
    "wilson_high": lambda a: f"øvre grænse af Wilsons 95 pct.-interval for {a[0]} af {a[1]}",
    "newcombe_low": lambda a: "nedre grænse af Newcombes 95 pct.-interval for forskellen "
                              f"mellem {a[0]} af {a[2]} og {a[1]} af {a[3]}",
    "newcombe_high": lambda a: "øvre grænse af Newcombes 95 pct.-interval for forskellen "
                               f"mellem {a[0]} af {a[2]} og {a[1]} af {a[3]}",
    "chi2_p": lambda a: f"p-værdi i en chi-i-anden-test af {a[0]} af {a[1]} mod {a[2]} af {a[3]}",
    "som": lambda _: "ipsreports illustration efter SØM's metode (se modelleringsvalgene)",
    "sum": lambda a: " + ".join(a) if len(a) <= _LISTED else f"summen af {len(a)} tal",
    "year_of": lambda a: f"året, som kilden angiver for {a[0]}",
    "municipalities": lambda _: "antallet af kommuner, optalt af ipsreport i kommunetabellen "
                                "(data/kommuner.csv)",
    "small_municipalities": lambda _: "antallet af kommuner, hvis aktive borgere ikke fylder "
                                      "én IPS-konsulents sagsstamme, optalt af ipsreport",
    "fewest_to_fill": lambda _: "det mindste antal af regionens små kommuner, der tilsammen "
                                "fylder én sagsstamme, de største først (beregnet af ipsreport)",
    "own_figures": lambda _: "antallet af kommuner, der har givet deres eget tal, optalt af "
                             "ipsreport i kommunetabellen (data/kommuner.csv)",
    "claims_count": lambda _: "antallet af påstande (i alt eller med den vurdering, tallet "
                              "står ved), optalt af ipsreport i data/claims.yaml",
}


# Amounts in thousands or millions of kroner become kroner by a factor of 1.000 or
# 1.000.000, and back: a change of unit, not a computation. A formula leaves the factor
# out and shows each amount with its unit instead ("3,6 mio. kr.").
_SCALES = {("dkk_thousand", 1e3), ("dkk_million", 1e6)}
_FACTORS = frozenset(factor for _, factor in _SCALES)
_AMOUNTS = frozenset({"dkk", "eur", *(unit for unit, _ in _SCALES)})


def model_of(node: Node) -> Operation | None:
    """The result of a model that :data:`SHARED` names which ``node`` is, or is made of
    alone (a range, a sum or a change of unit of its results: then the model's result from
    all their inputs); None for anything else."""
    if not isinstance(node, Operation):
        return None
    if node.method in SHARED:
        return node
    if node.op == "method" and node.method != "sum":
        return None
    found = [model_of(arg) for arg in node.args if not isinstance(arg, Literal)]
    first = found[0] if found else None
    if first is None or not all(f is not None and f.method == first.method for f in found):
        return None
    inputs = tuple(dict.fromkeys(arg for f in found if f is not None for arg in f.args))
    return first if inputs == first.args else Operation("method", inputs, first.method)


def unscaled(node: Node) -> Node:
    """``node`` without a change of unit on top (an amount times or over 1.000.000)."""
    while (isinstance(node, Operation) and node.op in ("*", "/") and len(node.args) == 2
           and isinstance(node.args[1], Literal) and node.args[1].value in _FACTORS):
        node = node.args[0]
    return node


def expression(node: Node, data: SourceData, parent: int = 0) -> str:
    """How ``node`` is computed, as a formula of the values it is computed from."""
    node = unscaled(node)
    if isinstance(node, Figure):
        # Within a formula, an amount keeps its unit ("72.000 kr. × deltagere = 100"); a
        # share or a count reads better bare ("(59,9 × 243 + 59,1 × 238) / 481").
        amount = node.unit in _AMOUNTS
        return (_quantity(node.value, node.unit) if parent == 0 or amount
                else _plain_number(node.value))
    if isinstance(node, Parameter):
        return f"{node.name} = {_parameter_value(node.value)}"
    if isinstance(node, Literal | Setting):
        return _plain_number(node.value)
    if node.op == "method" and node.method in SHARED and parent > 0:
        # A model's result within a computation: its value, and which model (its inputs are
        # in the model's own entry).
        return f"{_value(node)} (fra {SHARED[node.method or '']})"
    if node.op == "method":
        # A method's inputs by their values: each computed one has an account of its own.
        arguments = [_value(arg) for arg in node.args]
        words = METHODS.get(node.method or "")
        return words(arguments) if words else f"{node.method} af {', '.join(arguments)}"
    if node.op == "range":
        low, high = (unscaled(arg) for arg in node.args)
        interval = _interval(low, high)
        if interval is not None:
            return interval
        return f"{expression(low, data)} til {expression(high, data)}"
    if node.op in _PRECEDENCE:
        level = _PRECEDENCE[node.op]
        left = expression(node.args[0], data, level)
        right = expression(node.args[1], data, level + 1)  # a - (b - c) keeps its brackets
        text = f"{left} {_SYMBOLS[node.op]} {right}"
        return f"({text})" if parent > level else text
    inner = expression(node.args[0], data, 3)
    unary = {"neg": f"−{inner}", "abs": f"den numeriske værdi af {inner}",
             "round": f"{inner}, afrundet",
             "ceil": f"{inner}, rundet op", "floor": f"{inner}, rundet ned"}
    return unary.get(node.op, f"{node.op}({inner})")


def _interval(low: Node, high: Node) -> str | None:
    """An interval's two ends by one method (``wilson_low``, ``wilson_high`` of the same
    inputs) in the words of that method's interval; None for any other range."""
    if not (isinstance(low, Operation) and isinstance(high, Operation)):
        return None
    if not (low.method and high.method and low.args == high.args):
        return None
    kind, low_end = low.method.rsplit("_", 1) if "_" in low.method else (low.method, "")
    if (low_end, high.method) != ("low", f"{kind}_high") or kind not in INTERVALS:
        return None
    return INTERVALS[kind]([_value(arg) for arg in low.args])


def _value(node: Node) -> str:
    """What ``node`` stands for, as one number: a figure's or a result's value."""
    node = unscaled(node)
    if isinstance(node, Figure):
        return _quantity(node.value, node.unit)
    if isinstance(node, Parameter):
        return f"{node.name} = {_parameter_value(node.value)}"
    if isinstance(node, Operation) and node.value is not None:
        # A result as an input of a method: to two decimals at most (59,5 for 59,5042...),
        # the precision its own account gives it.
        return _plain_number(round(node.value, 2))
    return _plain_number(getattr(node, "value", 0.0))


def _parameter_value(value: object) -> str:
    if isinstance(value, bool):
        return "sand" if value else "falsk"
    if isinstance(value, int | float):
        return _plain_number(value)
    return str(value)


def _figure(figure: Figure, data: SourceData) -> str:
    meaning = (data[figure.id].meaning if figure.id in data.figures
               else figure.meaning or figure.id)
    status = data[figure.id].status if figure.id in data.figures else Status.PUBLISHED
    label = {Status.ASSUMPTION: " (antagelse)", Status.APPROXIMATION: " (tilnærmet)",
             Status.UNCONFIRMED: " (ubekræftet, antagelse)"}.get(status, "")
    return f"{_quantity(figure.value, figure.unit)}: {meaning}{label}"


def _citation(source_id: str, data: SourceData) -> str:
    from ipsreport.presentation import citations

    source = data.sources.get(source_id)
    return citations.full(source) if source is not None else source_id


def _is_source(source_id: str, data: SourceData) -> bool:
    """Whether a figure's source is one to cite: the package's own assumptions are not (the
    figure says "antagelse" itself)."""
    source = data.sources.get(source_id)
    return source is None or source.kind != "assumption"


def _short_citation(source_id: str, data: SourceData) -> str:
    source = data.sources.get(source_id)
    return source.label if source is not None else source_id


def short(node: Node, data: SourceData) -> str:
    """A number's origin in a sentence or two: what the reader sees on hover."""
    node = unscaled(node)
    inputs = list(leaves(node))
    sources = sorted({_short_citation(f.source, data) for f in inputs
                      if isinstance(f, Figure) and _is_source(f.source, data)})
    where = f" Kilde: {'; '.join(sources)}." if sources else ""
    if isinstance(node, Figure):
        said = _figure(node, data)
    elif isinstance(node, Parameter):
        said = f"Parameter: {expression(node, data)}"
    elif isinstance(node, Setting):
        said = f"{_plain_number(node.value)}: {SETTINGS.get(node.name, node.name)}"
    elif (model := model_of(node)) is not None:
        said = (f"Beregnet med {SHARED[model.method or '']}; dens forudsætninger står i "
                f"«{APPENDIX_TITLE}»")
    else:
        said = f"Beregnet: {expression(node, data)}"
    return sentence(said) + where


def sentence(text: str) -> str:
    """``text`` ending with one full stop: "3,6 mio. kr." and a question keep their own,
    also where the text ends in a number formatted into it."""
    text = text.strip()
    return text if plain(text).endswith((".", "?", "!")) else text + "."


def _stated(figure: Figure, data: SourceData) -> str:
    """How a figure is known: stated in its source, or the package's own assumption."""
    status = data[figure.id].status if figure.id in data.figures else Status.PUBLISHED
    return {Status.ASSUMPTION: "ipsreports antagelse, ikke et tal fra kilderne",
            Status.UNCONFIRMED: "ubekræftet; brugt som ipsreports antagelse",
            Status.APPROXIMATION: "tilnærmet ud fra kilden"}.get(status, "angivet i kilden")


def account(number: str, node: Node, data: SourceData) -> dict[str, Any]:
    """Everything the appendix, the hover and ``ipsreport trace`` say of a number, as plain
    data ("hover": :func:`short`)."""
    hover = short(node, data)
    node = unscaled(node)
    inputs: list[dict[str, Any]] = []
    for leaf in leaves(node):
        if isinstance(leaf, Figure):
            inputs.append({"kind": "figure", "id": leaf.id, "value": leaf.value,
                           "unit": leaf.unit, "text": _figure(leaf, data),
                           "source": leaf.source,  # its citation: the record's "sources"
                           "cited": (_short_citation(leaf.source, data)
                                     if _is_source(leaf.source, data) else None)})
        elif isinstance(leaf, Setting):
            inputs.append({"kind": "setting", "name": leaf.name, "value": leaf.value,
                           "text": f"{_plain_number(leaf.value)}: "
                                   f"{SETTINGS.get(leaf.name, leaf.name)}"})
        else:
            inputs.append({"kind": "parameter", "name": leaf.name,
                           "value": _parameter_value(leaf.value),
                           "text": f"parameter: {expression(leaf, data)}"})
    how = (_stated(node, data) if isinstance(node, Figure) else
           "parameter" if isinstance(node, Parameter) else
           "metodevalg" if isinstance(node, Setting) else
           f"beregnet: {expression(node, data)}")
    return {"text": number, "how": how, "inputs": inputs, "hover": hover}


_GROUPED = 5  # more figures than this from one source and unit read as one line


def _listed(inputs: Sequence[Mapping[str, Any]]) -> str:
    """An account's inputs as the appendix lists them: each on its own, except that many
    figures from one source in one unit (a sum over the municipalities' populations) read as
    one line, "98 tal: Folketal den 1. januar 2025 (...) (Danmarks Statistik (2025))"; the
    JSON lists every one."""
    groups: dict[tuple[object, object], list[Mapping[str, Any]]] = {}
    for item in inputs:
        key = (item["source"], item["unit"]) if item["kind"] == "figure" else (id(item), None)
        groups.setdefault(key, []).append(item)
    parts = []
    for items in groups.values():
        if len(items) > _GROUPED:
            said = f"{len(items)} tal: {_shared_words(items)}"
            parts.append(f"{said} ({items[0]['cited']})" if items[0].get("cited") else said)
            continue
        parts += [f"{item['text']} ({item['cited']})" if item.get("cited") else item["text"]
                  for item in items]
    return "; ".join(parts)


def _shared_words(items: Sequence[Mapping[str, Any]]) -> str:
    """The words the figures' meanings begin with alike ("Folketal den 1. januar 2025 (alle
    aldre, begge køn, alle civilstande)" of every municipality's population)."""
    meanings = [str(item["text"]).split(": ", 1)[-1].split() for item in items]
    shared: list[str] = []
    for words in zip(*meanings, strict=False):
        if len(set(words)) > 1:
            break
        shared.append(words[0])
    return " ".join(shared).rstrip(":,(")


def _compact(numbers: list[dict[str, Any]], data: SourceData) -> dict[str, Any]:
    """The record a file carries: each source figure once ("figures", by id) and each
    source's citation once ("sources", by id); a number's inputs name its figures by id. A
    national total of 98 populations is then 98 ids, not 98 copies of the figures."""
    figures: dict[str, dict[str, Any]] = {}
    compact = []
    for number in numbers:
        inputs = []
        for item in number["inputs"]:
            if item["kind"] == "figure":
                told = {k: v for k, v in item.items() if k not in ("kind", "id")}
                if figures.setdefault(item["id"], told) == told:  # else it stays in full
                    item = {"kind": "figure", "id": item["id"]}
            inputs.append(item)
        compact.append({**number, "inputs": inputs})
    cited = sorted({item["source"] for number in numbers for item in number["inputs"]
                    if item["kind"] == "figure"})
    return {"version": JSON_VERSION, "numbers": compact, "figures": figures,
            "sources": {key: _citation(key, data) for key in cited}}


def expanded(record: dict[str, Any]) -> dict[str, Any]:
    """A record as a file carries it, with each number's figures written out in full (what
    ``ipsreport trace --json`` prints): the inverse of the compact form."""
    figures = record.get("figures") or {}
    numbers = [{**number, "inputs": [{**figures.get(item.get("id"), {}), **item}
                                     if item.get("kind") == "figure" else item
                                     for item in number["inputs"]]}
               for number in record["numbers"]]
    return {"version": record.get("version"), "numbers": numbers,
            "sources": record.get("sources") or {}}


def appendix() -> str:
    """The brief's "Tal og kilder": each number shown, once, with its account; and the same
    as JSON for ``ipsreport trace``. Empty when the brief showed no traced number.

    The entries are one raw block for each format (HTML and Typst, each text escaped by
    :mod:`ipsreport.markup`), not Markdown: parsed and walked by Pandoc and every filter,
    a guide's fifty entries cost more than the rest of the document. The links filter knows
    the entries' identifiers from the HTML block; the docx filter reads it as HTML."""
    document = _document
    if document is None or not document.entries:
        return ""
    record: list[dict[str, Any]] = []
    html_entries: list[str] = []
    typst_entries: list[str] = []
    for entry in document.entries.values():
        told = account(entry.text, entry.node, document.data)
        record.append({"id": entry.number, **told})
        inputs = _listed(told["inputs"])
        said = f": {sentence(told['how'])}" + (f" Indgår: {inputs}." if inputs else "")
        html_entries.append(
            f'<div id="{entry.number}" class="{ENTRY_CLASS}"><p><strong>'
            f"{markup.html_text(entry.text)}</strong>{markup.html_text(said)}</p></div>")
        # As Pandoc writes a div: its paragraph in a block that carries the label.
        typst_entries.append(f"#block[\n#strong({_typst_text(entry.text)})"
                             f"#{_typst_text(said)}\n\n] <{entry.number}>")
    text = json.dumps(_compact(record, document.data), ensure_ascii=False, sort_keys=True,
                      separators=(",", ":"))
    html_entries.append(f'<script type="application/json" id="{JSON_ID}">'
                        f"{markup.html_script_json(text)}</script>")
    typst_entries.append(
        f'#pdf.attach("{JSON_ID}.json", bytes({markup.typst_string(text)}), '
        'relationship: "supplement", mime-type: "application/json", '
        f"description: {markup.typst_string(APPENDIX_TITLE)})")
    return "\n\n".join([
        f"## {APPENDIX_TITLE} {{#tal-og-kilder}}",
        "Hvert tal i teksten er beregnet af ipsreport ud fra kildernes tal. Her står for "
        "hvert tal, hvad det er beregnet af, og hvordan.",
        markup.raw_blocks("\n".join(typst_entries), "\n".join(html_entries)),
    ])


def _typst_text(text: str) -> str:
    """An entry's text for the PDF: a Typst string, its numbers and units joined by a
    no-break space."""
    return markup.typst_string(_UNIT_SPACE.sub("\u00a0", text))
