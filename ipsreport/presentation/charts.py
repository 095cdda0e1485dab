"""The house chart style: sober, Danish axis labels and number formats, one palette.

Every chart is a function of an analysis result that returns a matplotlib Figure; the
brief's cell shows it and gives it a caption and alt text. Numbers on axes use
:mod:`ipsreport.danish`, so "59,5" and "1.000" read as in the text.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import matplotlib as mpl
from matplotlib import font_manager
from matplotlib.axes import Axes
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.ticker import FuncFormatter

from ipsreport.analyses.business_case import Overview, Totals
from ipsreport.analyses.health_economics import HealthEconomicsResult
from ipsreport.analyses.som import SECTORS, Sensitivity, SomResult
from ipsreport.analyses.trial import Share, TrialResult
from ipsreport.paths import templates_dir
from ipsreport.presentation import danish, labels

# A restrained palette: dark blue for IPS, grey for the control group, then two accents.
BLUE = "#1f4e79"
LIGHT_BLUE = "#6f9fd8"
GREY = "#8c8c8c"
RED = "#b03a2e"
GREEN = "#3a7d44"
SECTOR_COLOURS = {"kommune": BLUE, "region": LIGHT_BLUE, "stat": GREEN}
SECTOR_LABELS = {"kommune": "Kommune", "region": "Region", "stat": "Stat"}

# The PDF's font (templates/fonts, IBM Plex Sans), so charts and text match.
for _font in sorted((templates_dir() / "fonts").glob("*.ttf")):
    font_manager.fontManager.addfont(str(_font))

# Typed loosely: matplotlib's stubs key rcParams by a Literal of every setting name.
HOUSE_STYLE: dict[Any, Any] = {
    "font.family": ["IBM Plex Sans", "DejaVu Sans"],
    "font.size": 10,
    "axes.titlesize": 11,
    "axes.labelsize": 10,
    "axes.spines.top": False,
    "axes.spines.right": False,
    "axes.edgecolor": "#444444",
    "axes.grid": True,
    "axes.grid.axis": "x",
    "grid.color": "#dddddd",
    "grid.linewidth": 0.8,
    "legend.frameon": False,
    "figure.dpi": 150,
    "savefig.dpi": 150,
    "svg.hashsalt": "ipsreport",  # stable ids in SVG output
    "axes.formatter.use_locale": False,
    "axes.axisbelow": True,
}


def use_house_style() -> None:
    """Apply the house style to matplotlib (a brief's setup cell calls this once)."""
    mpl.rcParams.update(HOUSE_STYLE)


def _formatter(fmt: Callable[[float], str]) -> FuncFormatter:
    """A tick formatter that formats each value once: matplotlib asks again for every tick
    in every layout pass (160 times for the SØM chart's dozen ticks), and each answer is a
    call to Babel."""
    known: dict[float, str] = {}

    def formatted(value: float, _pos: int | None) -> str:
        if value not in known:
            known[value] = fmt(value)
        return known[value]

    return FuncFormatter(formatted)


# Where the SØM chart's axes go, as fractions of its figure: room enough for the labels of
# every municipality's chart (tests/test_charts.py). The chart is drawn in each of the 98
# guides, and constrained layout, which finds such margins by measuring the labels, took a
# quarter of its time.
SOM_MARGINS = {"left": 0.105, "right": 0.99, "bottom": 0.15, "top": 0.985}


class _ShownWhole(FigureCanvasAgg):
    """A canvas for a figure with fixed margins: printed whole when its axes' labels fit.

    IPython's inline backend, under Quarto as under the built-in renderer, prints a figure
    cropped to the bounding box of everything drawn (``bbox_inches="tight"``), and finding
    that box costs matplotlib two more passes over every artist: a third of the SØM chart's
    time. In a figure whose axes sit at fixed margins, only the axes' ticks and labels can
    reach past them (the bars and lines are clipped, the legend is inside). Measuring just
    those is cheap; when they fit, the crop would only take white space off, and the figure
    is printed whole. When they do not (amounts of another order than any municipality's),
    it is cropped as any figure is.
    """

    def print_figure(self, *args: Any, **kwargs: Any) -> Any:
        if kwargs.get("bbox_inches") == "tight" and self.labels_fit():
            kwargs["bbox_inches"] = None
        return super().print_figure(*args, **kwargs)

    def labels_fit(self) -> bool:
        """Whether every axis of the figure, ticks and labels, is drawn inside it."""
        get_renderer: Callable[[], Any] = self.get_renderer  # untyped in matplotlib's stubs
        renderer = get_renderer()
        inside = self.figure.bbox
        for axes in self.figure.axes:
            for axis in (axes.xaxis, axes.yaxis):
                box = axis.get_tightbbox(renderer)
                if box is not None and not (inside.x0 <= box.x0 and box.x1 <= inside.x1
                                            and inside.y0 <= box.y0 and box.y1 <= inside.y1):
                    return False
        return True


def _figure(height: float, *, margins: dict[str, float] | None = None) -> tuple[Figure, Axes]:
    """A figure outside pyplot's registry: shown once, by the cell that returns it, and
    never carried over to the next document in a reused kernel. Its axes are placed by
    constrained layout, or by ``margins`` when given (and then printed whole when their
    labels fit, :class:`_ShownWhole`)."""
    if margins is None:
        figure = Figure(figsize=(7, height), layout="constrained")
        return figure, figure.subplots()
    figure = Figure(figsize=(7, height), layout=None)
    _ShownWhole(figure)  # a canvas attaches itself to its figure
    return figure, figure.subplots(gridspec_kw=margins)


def _clipped_out_of_layout(axes: Axes) -> None:
    """Leave the bars and lines drawn inside ``axes`` out of the layout.

    They are clipped to the axes, so they cannot widen it, and matplotlib means to skip
    such artists when it measures a figure (constrained layout, and the tight bounding box
    the inline backend crops to). But it recognises them by comparing their clip box with
    the axes' box for exact equality, which rounding breaks once constrained layout has
    moved the axes, and then measures every bar in every pass (the SØM chart has 53). The
    figure drawn is the same, pixel for pixel (tests/test_charts.py).
    """
    for artist in (*axes.patches, *axes.lines, *axes.collections):
        if artist.get_clip_on():
            artist.set_in_layout(False)


def trial_shares(result: TrialResult) -> Figure:
    """Share in work or education after 18 months per arm, with 95 % interval whiskers."""
    shares = [*result.arms, result.pooled]
    order = [shares[3], shares[0], shares[1], shares[2]]  # pooled, IPS, IPSE, control
    with mpl.rc_context(HOUSE_STYLE):
        figure, axes = _figure(2.8)
        names = [labels.ARMS[s.arm] for s in order]
        values = [s.share for s in order]
        errors = [[s.share - s.ci_low for s in order], [s.ci_high - s.share for s in order]]
        colours = [BLUE, LIGHT_BLUE, LIGHT_BLUE, GREY]
        positions = range(len(order))[::-1]
        axes.barh(list(positions), values, color=colours, height=0.6)
        axes.errorbar(values, list(positions), xerr=errors, fmt="none", ecolor="#222222",
                      capsize=4, linewidth=1)
        for pos, share in zip(positions, order, strict=True):
            axes.text(share.ci_high + 1.5, pos, danish.pct(share.share), va="center")
        axes.set_yticks(list(positions), names)
        axes.set_xlim(0, 100)
        axes.xaxis.set_major_formatter(_formatter(lambda v: danish.number(v)))
        axes.set_xlabel(
            f"Andel i job eller uddannelse inden for {result.followup_months} måneder (pct.)"
        )
        _clipped_out_of_layout(axes)
    return figure


def trial_shares_reading(result: TrialResult) -> str:
    """What :func:`trial_shares` draws, in Danish words computed from the same result."""
    shares = [result.pooled, *result.arms]
    def name(share: Share) -> str:
        return "kontrolgruppen" if share.arm == "sau" else labels.ARMS[share.arm]

    listed = danish.join([f"{name(s)} ({danish.pct(s.share)})" for s in shares])
    control = result.arm("sau")
    ips_arms = [s for s in shares if s.arm != "sau"]
    apart = [s for s in ips_arms if s.ci_low > control.ci_high or s.ci_high < control.ci_low]
    if len(apart) == len(ips_arms):
        overlap = ("Ingen af IPS-gruppernes konfidensintervaller overlapper kontrolgruppens.")
    elif not apart:
        overlap = "Alle IPS-gruppernes konfidensintervaller overlapper kontrolgruppens."
    else:
        overlap = (f"Konfidensintervallerne for {danish.join([name(s) for s in apart])}"
                   " overlapper ikke kontrolgruppens; de øvrige gør.")
    return f"Diagrammet viser andelene for {listed}. {overlap}"


def savings_reading(result: HealthEconomicsResult) -> str:
    """What :func:`savings` draws, in Danish words."""
    names = {"ips": "IPS", "ipse": "IPSE"}
    ordered = sorted(result.savings, key=lambda s: s.per_person, reverse=True)
    listed = danish.join([f"{danish.kr(s.per_person)} for {names[s.intervention]}"
                          for s in ordered])
    return f"Diagrammet viser besparelsen pr. person: {listed}."


def savings(result: HealthEconomicsResult) -> Figure:
    """Savings per person against usual jobcenter services, IPS and IPSE."""
    with mpl.rc_context(HOUSE_STYLE):
        figure, axes = _figure(2.2)
        names = {"ips": "IPS", "ipse": "IPSE"}
        items = list(result.savings)[::-1]
        axes.barh([names[s.intervention] for s in items], [s.per_person for s in items],
                  color=[LIGHT_BLUE, BLUE][-len(items):], height=0.55)
        for index, item in enumerate(items):
            axes.text(item.per_person * 1.01, index, danish.kr(item.per_person), va="center")
        axes.xaxis.set_major_formatter(_formatter(danish.number))
        axes.set_xlim(0, max(s.per_person for s in items) * 1.3)
        axes.set_xlabel(f"Besparelse pr. person over {items[0].horizon_months} måneder (kr.)")
        _clipped_out_of_layout(axes)
    return figure


def largest_amount(result: SomResult) -> float:
    """The largest amount the SØM chart shows, in kr. and without its sign."""
    return max(float(result.by_year[column].abs().max())
               for column in ("cost", "consequences", "accumulated_net"))


def money_scale(result: SomResult) -> tuple[float, str]:
    """The unit the SØM chart and its reading show amounts in: mio. kr. when the largest
    amount is in the millions, else 1.000 kr., so a small municipality's bars and axis do not
    all read "0,0" (the divisor and the axis label)."""
    return ((1e6, "Mio. kr.") if largest_amount(result) >= danish.MILLION_FROM
            else (1e3, "1.000 kr."))


def _bars(axes: Axes, years: Sequence[int], values: Sequence[float], bottom: Sequence[float],
          *, color: str, label: str) -> None:
    """One series of the SØM chart's bars, the years without an amount left out: a bar of
    height zero draws nothing, and the chart would otherwise make, lay out and draw 30 of
    them (a third of the chart's time). The series keeps its legend entry."""
    shown = [(y, v, b) for y, v, b in zip(years, values, bottom, strict=True) if v != 0]
    if not shown:
        shown = [(years[0], 0.0, 0.0)]
    axes.bar([y for y, _, _ in shown], [v for _, v, _ in shown],
             bottom=[b for _, _, b in shown], color=color, label=label, width=0.7)


def som_years(result: SomResult) -> Figure:
    """Consequences per sector and cost per year as bars, accumulated net as a line."""
    divisor, unit = money_scale(result)
    with mpl.rc_context({**HOUSE_STYLE, "axes.grid.axis": "y"}):
        figure, axes = _figure(3.4, margins=SOM_MARGINS)
        frame = result.by_sector.pivot(index="year", columns="sector", values="consequences")
        years = frame.index.to_list()
        bottom = [0.0] * len(years)
        for sector in SECTORS:
            values = frame[sector].to_list()
            _bars(axes, years, values, bottom, color=SECTOR_COLOURS[sector],
                  label=f"Konsekvenser, {SECTOR_LABELS[sector].lower()}")
            bottom = [b + v for b, v in zip(bottom, values, strict=True)]
        _bars(axes, years, [-c for c in result.by_year["cost"]], [0.0] * len(years), color=RED,
              label="Omkostninger")
        axes.plot(years, result.by_year["accumulated_net"], color="#222222", marker="o",
                  markersize=3, linewidth=1.5, label="Akkumuleret nettoresultat")
        axes.axhline(0, color="#444444", linewidth=0.8)
        axes.yaxis.set_major_formatter(_formatter(lambda v: danish.number(v / divisor, 1)))
        axes.set_ylabel(unit)
        axes.set_xlabel("År")
        axes.set_xticks(years)
        # The x range the bars of every year would give (the years without an amount have
        # none): each bar is 0,7 wide, with matplotlib's default 5 pct. margin.
        low, high = years[0] - 0.35, years[-1] + 0.35
        margin = mpl.rcParams["axes.xmargin"] * (high - low)
        axes.set_xlim(low - margin, high + margin)
        axes.legend(loc="center right", fontsize=8)
        _clipped_out_of_layout(axes)
    return figure


def _years(years: Sequence[int]) -> str:
    """Years as a reader reads them: "år 3", "år 1–4" for a run, else a list."""
    years = sorted(years)
    if len(years) == 1:
        return f"år {danish.number(years[0])}"
    if years == list(range(years[0], years[-1] + 1)):
        return f"år {danish.span(years[0], years[-1])}"
    return "år " + danish.join([danish.number(y) for y in years])


def som_years_reading(result: SomResult) -> str:
    """What :func:`som_years` draws, in Danish words computed from the same result: the
    text beside the chart, so a reader who cannot see it reads the same. Its amounts share
    the chart's unit (mio. kr., or kroner for a small municipality). (The frames' values are
    kept as they are, not made plain floats: so they keep their lineage.)"""
    by = result.by_year
    # One unit for every amount, the chart's: a reference amount in millions, or none.
    like = danish.MILLION_FROM if money_scale(result)[0] == 1e6 else 0.0

    def money(value: float) -> str:
        return danish.money(value, like=like)

    cost_years = list(by.loc[by["cost"] > 0, "year"])
    cons_years = list(by.loc[by["consequences"] > 0, "year"])
    parts = []
    if cost_years:
        parts.append(f"Diagrammet viser omkostninger i {_years(cost_years)}")
    if cons_years:
        peak = by["consequences"].max()
        peak_years = list(by.loc[by["consequences"] >= peak - 0.5, "year"])
        parts.append(f"konsekvenser i {_years(cons_years)}, størst i {_years(peak_years)} "
                     f"med {money(peak)} om året")
    text = (" og ".join(parts) if parts else "Diagrammet viser hverken omkostninger eller "
            "konsekvenser") + "."
    moving = list(by.loc[by["net"] != 0, "year"])
    accumulated = by["accumulated_net"]
    if moving:
        last = moving[-1]
        at_last = accumulated[by["year"] == last].iloc[0]
        text += (f" Det akkumulerede nettoresultat er {money(accumulated.iloc[0])}"
                 f" i {_years([by['year'].iloc[0]])} og {money(at_last)} i {_years([last])}")
        text += (" og ændrer sig ikke derefter." if last < by["year"].iloc[-1] else ".")
    return text


def regions(overview: Overview) -> Figure:
    """Each region's new participants a year and net present value (the sums of its
    municipalities'), as two panels of horizontal bars, the regions in table order."""
    rows = list(overview.regions)[::-1]
    names = [r.name or "" for r in rows]
    with mpl.rc_context(HOUSE_STYLE):
        figure = Figure(figsize=(7, 0.45 * len(rows) + 1.3), layout="constrained")
        left, right = figure.subplots(1, 2, sharey=True)
        panels: list[tuple[Axes, list[float], Callable[[float], str], str]] = [
            (left, [r.participants_per_year for r in rows], danish.approx,
             "Nye deltagere pr. år (skøn)"),
            (right, [r.net_present_value / 1e6 for r in rows],
             lambda v: danish.number(v, 1), "Nutidsværdi (mio. kr.)"),
        ]
        for axes, values, fmt, label in panels:
            axes.barh(names, values, color=BLUE, height=0.6)
            for index, value in enumerate(values):
                axes.text(value, index, " " + fmt(value), va="center", fontsize=8)
            axes.set_xlim(min(0.0, min(values) * 1.3), max(max(values), 0.0) * 1.3 or 1.0)
            axes.xaxis.set_major_formatter(_formatter(lambda v: danish.number(v)))
            axes.set_xlabel(label)
            _clipped_out_of_layout(axes)
    return figure


def regions_reading(overview: Overview) -> str:
    """What :func:`regions` draws, in Danish words from the same sums."""
    rows = list(overview.regions)
    if not rows:
        return ""

    def named(row: Totals, value: str) -> str:
        return f"{row.name} ({value})"

    if len(rows) == 1:
        row = rows[0]
        return (f"Diagrammet viser {named(row, danish.approx(row.participants_per_year))} nye "
                f"deltagere om året og en nutidsværdi på {danish.money(row.net_present_value)} "
                "i ipsreports illustration.")
    most = max(rows, key=lambda r: r.participants_per_year)
    least = min(rows, key=lambda r: r.participants_per_year)
    highest = max(rows, key=lambda r: r.net_present_value)
    lowest = min(rows, key=lambda r: r.net_present_value)
    return (f"Diagrammet viser regionernes nye deltagere om året og nutidsværdi, summen af "
            f"deres kommuners. Flest deltagere har "
            f"{named(most, danish.approx(most.participants_per_year))}, færrest "
            f"{named(least, danish.approx(least.participants_per_year))}. Den største "
            f"nutidsværdi har {named(highest, danish.money(highest.net_present_value))}, den "
            f"mindste {named(lowest, danish.money(lowest.net_present_value))}.")


def tornado_reading(rows: Sequence[Sensitivity]) -> str:
    """What :func:`tornado` draws, in Danish words: which assumption moves the net present
    value most and least, and how far."""
    if not rows:
        return ""
    ordered = sorted(rows, key=lambda r: abs(r.high_npv - r.low_npv), reverse=True)

    def reach(row: Sensitivity) -> str:
        low, high = sorted((row.low_npv, row.high_npv))
        return f"{danish.span(low / 1e6, high / 1e6, 1)} mio. kr."

    def name(row: Sensitivity) -> str:  # the label without its unit in brackets
        return labels.SENSITIVITY[row.parameter].split(" (")[0].lower()

    most, least = ordered[0], ordered[-1]
    return (f"Nutidsværdien flytter mest med {name(most)} "
            f"({reach(most)}) og mindst med {name(least)} "
            f"({reach(least)}), mod {danish.mio_kr(most.base_npv)} med alle antagelser som i "
            "beregningen.")


def tornado(rows: Sequence[Sensitivity]) -> Figure:
    """Net present value when each input moves down and up: the widest bar on top."""
    ordered = sorted(rows, key=lambda r: abs(r.high_npv - r.low_npv))
    base = ordered[0].base_npv if ordered else 0.0
    with mpl.rc_context(HOUSE_STYLE):
        figure, axes = _figure(0.6 * len(ordered) + 1.2)
        for index, row in enumerate(ordered):
            axes.barh(index, row.low_npv - base, left=base, color=LIGHT_BLUE, height=0.55,
                      label="Lav værdi" if index == 0 else None)
            axes.barh(index, row.high_npv - base, left=base, color=BLUE, height=0.55,
                      label="Høj værdi" if index == 0 else None)
        axes.axvline(base, color="#222222", linewidth=1)
        axes.set_yticks(range(len(ordered)), [labels.SENSITIVITY[r.parameter] for r in ordered])
        axes.xaxis.set_major_formatter(_formatter(lambda v: danish.number(v / 1e6, 1)))
        axes.set_xlabel("Nutidsværdi af nettoresultatet (mio. kr.)")
        axes.legend(loc="lower right", fontsize=8)
        _clipped_out_of_layout(axes)
    return figure
