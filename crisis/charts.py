"""Charts drawn on the server by pygal, shown as SVG images: no script runs in the page, nothing is
fetched, and a chart is a file a reader can save. Every chart sits beside a table of its numbers
(for screen readers, and for whoever wants the figures)."""

from __future__ import annotations

import base64
from collections.abc import Sequence

import pygal
from pygal.style import Style

FONT = "system-ui, 'Noto Sans CJK SC', sans-serif"


def _style(colors: Sequence[str] = ("#b42318", "#1f5fa8", "#2e7d32", "#8a5a00")) -> Style:
    return Style(
        background="#ffffff", plot_background="#ffffff", foreground="#1d2330", foreground_strong="#1d2330",
        foreground_subtle="#5f6b7a", colors=tuple(colors), font_family=FONT,
    )  # fmt: skip


def data_url(chart: pygal.graph.graph.Graph) -> str:
    svg = chart.render(is_unicode=True).encode("utf-8")
    return "data:image/svg+xml;base64," + base64.b64encode(svg).decode("ascii")


def bar_chart(title: str, labels: dict[str, str], counts: dict[str, int]) -> str | None:
    """Horizontal bars, one per key of `counts`; None when there is nothing to draw."""
    if not counts:
        return None
    chart = pygal.HorizontalBar(
        js=[], disable_xml_declaration=True, style=_style(), width=640, height=max(160, 48 * len(counts) + 80),
        show_legend=False, print_values=True, title=title,
    )  # fmt: skip
    chart.x_labels = [str(labels.get(key, key or "—")) for key in counts]
    chart.add(title, list(counts.values()))
    return data_url(chart)


def stacked_columns(x_labels: list[str], series: list[tuple[str, str, list[int]]]) -> str:
    """Columns stacked by series — (name, colour, values per x label) — with the legend left to the
    page (which shows it as text, in the reader's language)."""
    chart = pygal.StackedBar(
        js=[], disable_xml_declaration=True, style=_style([colour for _name, colour, _values in series]),
        width=640, height=220, show_legend=False, print_values=False, x_label_rotation=0, truncate_label=-1,
        margin=6, show_minor_y_labels=False,
    )  # fmt: skip
    chart.x_labels = x_labels
    for name, _colour, values in series:
        chart.add(name, [v or None for v in values])
    return data_url(chart)


def line(x_labels: list[str], values: list[int], title: str) -> str:
    """One line rising over time (e.g. the reach of what is said about an incident)."""
    chart = pygal.Line(
        js=[], disable_xml_declaration=True, style=_style(), width=640, height=240, show_legend=False,
        x_label_rotation=30, truncate_label=-1, show_minor_x_labels=False,
        x_labels_major_every=max(len(x_labels) // 6, 1), title=title, fill=True,
    )  # fmt: skip
    chart.x_labels = x_labels
    chart.add(title, values)
    return data_url(chart)
