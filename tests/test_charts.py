"""The house charts, drawn as a brief's figure is: by IPython's inline backend, to PNG."""

from __future__ import annotations

import io
from collections.abc import Callable

import matplotlib
import pytest
from IPython.core.pylabtools import print_figure
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.transforms import Bbox
from PIL import Image

from ipsreport import sources
from ipsreport.analyses import business_case, health_economics, som, trial
from ipsreport.presentation import charts
from ipsreport.presentation.parameters import GuideParameters

matplotlib.use("agg")


@pytest.fixture(scope="module")
def figures() -> dict[str, Callable[[], Figure]]:
    data = sources.load()
    scenario = som.Scenario.from_data(data)
    return {
        "trial_shares": lambda: charts.trial_shares(trial.analyse(data)),
        "savings": lambda: charts.savings(
            health_economics.analyse(data, participants=scenario.participants)
        ),
        "som_years": lambda: charts.som_years(som.run(scenario)),
        "tornado": lambda: charts.tornado(som.sensitivity(scenario)),
    }


def _png(figure: Figure) -> bytes:
    """What the inline backend displays: a PNG, printed with ``bbox_inches="tight"``."""
    return bytes(print_figure(figure, "png", bbox_inches="tight"))


@pytest.mark.parametrize("name", ["trial_shares", "savings", "som_years", "tornado"])
def test_leaving_clipped_artists_out_of_the_layout_changes_no_pixel(
    figures: dict[str, Callable[[], Figure]], name: str
) -> None:
    figure = figures[name]()
    axes = figure.axes[0]
    left_out = [artist for artist in axes.get_children() if not artist.get_in_layout()]
    assert len(left_out) >= 2  # the bars (and lines), not the labels, legend or axis
    assert all(artist.get_clip_on() for artist in left_out)
    drawn = _png(figure)

    measured_again = figures[name]()
    for artist in measured_again.axes[0].get_children():
        artist.set_in_layout(True)
    assert _png(measured_again) == drawn


@pytest.mark.parametrize("participants", [50, 0.32, 125])
def test_leaving_the_years_without_an_amount_out_of_the_som_chart_changes_no_pixel(
    participants: float,
) -> None:
    # The chart draws no bar of height zero (a third of its time) and sets the x range
    # those bars would give; drawn with them and autoscaled, it is the same, pixel for pixel.
    result = som.run(som.Scenario.from_data(sources.load(),
                                            participants_per_year=participants))
    drawn = _png(charts.som_years(result))
    with_zeros = charts.som_years(result)
    axes = with_zeros.axes[0]
    years = result.by_year["year"].to_list()
    axes.bar(years, [0.0] * len(years), width=0.7, color=charts.RED)
    axes.set_xlim(auto=True)
    axes.relim()
    axes.autoscale_view()
    assert len(axes.patches) > len(charts.som_years(result).axes[0].patches)
    assert _png(with_zeros) == drawn


def _pixels(png: bytes) -> tuple[int, int]:
    with Image.open(io.BytesIO(png)) as image:
        return image.size


def _whole(figure: Figure) -> tuple[int, int]:
    """The figure's own size in pixels, uncropped (7 x 3.4 inches at 150 dpi: 1050 x 510)."""
    width, height = figure.get_size_inches()
    return round(width * figure.dpi), round(height * figure.dpi)


def _drawn(figure: Figure) -> Bbox:
    """The box of everything drawn, in inches: what the inline backend crops to, measured
    on the chart's own canvas (charts._ShownWhole for the SØM chart)."""
    canvas = figure.canvas
    assert isinstance(canvas, FigureCanvasAgg)
    canvas.draw()
    drawn = figure.get_tightbbox(canvas.get_renderer())
    assert drawn is not None
    return drawn


def _upper_bound(field: str) -> float:
    """A guide parameter's largest allowed value."""
    return float(next(rule.le for rule in GuideParameters.model_fields[field].metadata
                      if hasattr(rule, "le")))


def test_the_som_chart_s_margins_hold_the_labels_of_every_municipality_s_chart() -> None:
    # The SØM chart, drawn in every guide, has fixed margins (charts.SOM_MARGINS) instead of
    # constrained layout. What is drawn (the area the inline backend crops the image to)
    # stays inside the figure for the guides of the fewest and the most participants and
    # for the one with the widest tick labels: the largest amount in the chart's unit. So
    # the chart is printed whole, 7 x 3.4 inches at 150 dpi, without the crop's passes.
    def in_unit(case: business_case.Case) -> float:
        divisor, _ = charts.money_scale(case.result)
        return charts.largest_amount(case.result) / divisor

    def participants(case: business_case.Case) -> float:
        return float(case.group.participants_per_year)

    cases = business_case.national(sources.load()).cases
    chosen = {case.group.municipality.kommunekode: case for case in (
        min(cases, key=participants), max(cases, key=participants), max(cases, key=in_unit))}
    assert len(chosen) == 3
    for case in chosen.values():
        figure = charts.som_years(case.result)
        assert figure.get_layout_engine() is None
        drawn = _drawn(figure)
        width, height = figure.get_size_inches()
        name = case.group.municipality.navn
        assert drawn.x0 >= 0 and drawn.x1 <= width, name
        assert drawn.y0 >= 0 and drawn.y1 <= height, name
        assert _pixels(_png(figure)) == _whole(figure), name


def test_a_som_chart_whose_labels_do_not_fit_is_cropped_to_them() -> None:
    # Amounts of another order than any municipality's (the parameters' upper bounds) give
    # tick labels wider than the margin: the chart is then cropped to what is drawn, as any
    # figure is, so the labels are shown whole, beyond the figure's own width.
    prices = {sector: _upper_bound(f"pris_{sector}") for sector in som.SECTORS}
    result = som.run(som.Scenario.from_data(
        sources.load(), participants_per_year=_upper_bound("deltagere_pr_aar"), prices=prices))
    assert _drawn(charts.som_years(result)).x0 < 0
    shown = charts.som_years(result)
    assert _pixels(_png(shown))[0] > _whole(shown)[0]
