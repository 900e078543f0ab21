"""The manager's report as one self-contained HTML page with inline SVG charts.

Why: a page a manager opens from an e-mail attachment, with no server, no script and no
file beside it: the funnel, SLA attainment and the threshold back-test drawn as inline SVG,
each chart with its figures written on it, and the text report underneath.
"""

from __future__ import annotations

import math
from html import escape

from leadpipeline.cli.report_data import ReportData
from leadpipeline.cli.report_text import render_text

__all__ = ["render_html", "sweep_steps"]

_WIDTH = 760
_BAR = 22
_LABEL = 260
_COLOURS = {"on time": "#2e7d32", "late": "#f9a825", "open": "#90caf9", "overdue": "#c62828"}


def _text(x: float, y: float, body: str, *, anchor: str = "start", size: int = 12) -> str:
    return (
        f'<text x="{x:.1f}" y="{y:.1f}" font-size="{size}" text-anchor="{anchor}"'
        f' font-family="sans-serif">{escape(body)}</text>'
    )


def _svg(height: float, title: str, body: list[str]) -> str:
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" role="img" width="{_WIDTH}"'
        f' height="{height:.0f}" viewBox="0 0 {_WIDTH} {height:.0f}">'
        f"<title>{escape(title)}</title>" + "".join(body) + "</svg>"
    )


def _funnel(data: ReportData) -> str:
    reached = data.funnel.reached
    most = max((r.leads for r in reached), default=0) or 1
    body = []
    for i, r in enumerate(reached):
        y = 10 + i * (_BAR + 8)
        width = (_WIDTH - _LABEL - 80) * r.leads / most
        body += [
            _text(_LABEL - 8, y + 16, r.stage, anchor="end"),
            f'<rect x="{_LABEL}" y="{y}" width="{width:.1f}" height="{_BAR}" fill="#1565c0"/>',
            _text(_LABEL + width + 6, y + 16, f"{r.leads} leads"),
        ]
    return _svg(20 + len(reached) * (_BAR + 8), "Leads reaching each stage", body)


def _two_lines(text: str, width: int) -> tuple[str, str]:
    """A label split at a space into two lines of at most `width` characters (cut after)."""
    if len(text) <= width:
        return text, ""
    cut = text.rfind(" ", 0, width)
    cut = cut if cut > 0 else width
    rest = text[cut:].strip()
    return text[:cut], rest if len(rest) <= width else rest[: width - 1] + "…"


def _sla(data: ReportData) -> str:
    body = []
    legend_y = 14
    x = float(_LABEL)
    for name, colour in _COLOURS.items():
        body += [
            f'<rect x="{x}" y="{legend_y - 10}" width="12" height="12" fill="{colour}"/>',
            _text(x + 16, legend_y, name),
        ]
        x += 100
    for i, line in enumerate(data.sla):
        s = line.stats
        y = 30 + i * (_BAR + 10)
        parts = (("on time", s.on_time), ("late", s.late), ("open", s.open), ("overdue", s.overdue))
        total = sum(n for _, n in parts) or 1
        first, second = _two_lines(line.description, 42)
        body.append(_text(_LABEL - 8, y + (9 if second else 16), first, anchor="end", size=11))
        if second:
            body.append(_text(_LABEL - 8, y + 21, second, anchor="end", size=11))
        x = float(_LABEL)
        for name, n in parts:
            width = (_WIDTH - _LABEL - 60) * n / total
            body.append(
                f'<rect x="{x:.1f}" y="{y}" width="{width:.1f}" height="{_BAR}"'
                f' fill="{_COLOURS[name]}"><title>{escape(name)}: {n}</title></rect>'
            )
            x += width
        share = "-" if s.attainment is None else f"{s.attainment:.0%}"
        body.append(_text(_WIDTH - 50, y + 16, share))
    return _svg(40 + len(data.sla) * (_BAR + 10), "SLA attainment per policy", body)


def sweep_steps(data: ReportData, *, step: float = 10.0) -> list[tuple[float, int, int]]:
    """(threshold, leads handed over, wins) every `step` points, for the sweep chart.

    Example:
        >>> from leadpipeline.adapters.memory import MemoryStore
        >>> from leadpipeline.cli.report_data import gather
        >>> from leadpipeline.playbook import DEFAULT_PLAYBOOK
        >>> sweep_steps(gather(MemoryStore(), DEFAULT_PLAYBOOK))
        []
    """
    sweep = data.sweep
    if not len(sweep):
        return []
    top = sweep.thresholds[-1]
    rows = []
    threshold = math.floor(sweep.thresholds[0] / step) * step
    while threshold <= top:
        point = sweep.at(threshold)
        if point is not None:
            rows.append((threshold, point.volume, point.wins))
        threshold += step
    return rows


def _sweep(data: ReportData) -> str:
    rows = sweep_steps(data)
    height, left, bottom = 260, 60, 40
    plot_w, plot_h = _WIDTH - left - 20, height - bottom - 20
    body = [
        f'<line x1="{left}" y1="{20 + plot_h}" x2="{left + plot_w}" y2="{20 + plot_h}"'
        ' stroke="#444"/>',
        f'<line x1="{left}" y1="20" x2="{left}" y2="{20 + plot_h}" stroke="#444"/>',
        _text(left + plot_w / 2, height - 6, "hand over at score >= threshold", anchor="middle"),
        _text(8, 14, "share won (bars: leads handed over, n)"),
    ]
    if not rows:
        body.append(_text(left + plot_w / 2, height / 2, "no scored leads", anchor="middle"))
        return _svg(height, "Threshold back-test", body)
    most = (max(v for _, v, _ in rows) or 1) / 0.85  # room for the n= labels
    top_share = max(w / v for _, v, w in rows if v) or 1.0
    scale = min(1.0, top_share * 1.25) or 1.0
    slot = plot_w / len(rows)
    points = []
    for i, (threshold, volume, wins) in enumerate(rows):
        x = left + i * slot
        bar = plot_h * volume / most
        body += [
            f'<rect x="{x + slot * 0.15:.1f}" y="{20 + plot_h - bar:.1f}" width="{slot * 0.7:.1f}"'
            f' height="{bar:.1f}" fill="#cfd8dc"/>',
            _text(x + slot / 2, 20 + plot_h + 14, f"{threshold:g}", anchor="middle", size=10),
            _text(x + slot / 2, 20 + plot_h - bar - 3, f"n={volume}", anchor="middle", size=9),
        ]
        share = wins / volume if volume else 0.0
        points.append((x + slot / 2, 20 + plot_h * (1 - share / scale), share))
    path = " ".join(f"{x:.1f},{y:.1f}" for x, y, _ in points)
    body.append(f'<polyline points="{path}" fill="none" stroke="#c62828" stroke-width="2"/>')
    for x, y, share in points:
        body.append(f'<circle cx="{x:.1f}" cy="{y:.1f}" r="3" fill="#c62828"/>')
        body.append(_text(x, y - 6, f"{share:.0%}", anchor="middle", size=10))
    return _svg(height, "Threshold back-test: share won and leads handed over", body)


_STYLE = (
    "body{font-family:sans-serif;max-width:800px;margin:2em auto;color:#222}"
    "h1{font-size:1.5em}h2{font-size:1.15em;margin-top:1.6em}"
    ".sim{background:#fff3e0;border-left:4px solid #ef6c00;padding:.5em 1em}"
    "pre{background:#f5f5f5;padding:1em;overflow-x:auto;font-size:12px}"
)


def render_html(data: ReportData) -> str:
    """The report as one HTML page: charts first, then the full text report."""
    banner = ""
    if data.simulation is not None:
        banner = (
            '<p class="sim"><strong>Simulated data.</strong> The demo with seed '
            f"{data.simulation.seed} and {data.simulation.leads} leads; not real leads.</p>"
        )
    period = ""
    if data.first_capture is not None and data.last_capture is not None:
        period = (
            f" Captured {data.first_capture.date()} to {data.last_capture.date()},"
            f" followed until {data.as_of.date()}."
        )
    return (
        "<!DOCTYPE html>\n"
        '<html lang="en"><head><meta charset="utf-8">'
        f"<title>Lead pipeline report: {escape(data.playbook)}</title>"
        f"<style>{_STYLE}</style></head><body>"
        f"<h1>Lead pipeline report</h1>{banner}"
        f"<p>{data.leads} leads, as of {escape(data.as_of.isoformat())}.{period}</p>"
        f"<h2>Funnel</h2>{_funnel(data)}"
        f"<h2>SLA attainment</h2>{_sla(data)}"
        f"<h2>Threshold back-test</h2><p>If sales had only taken leads scoring at least"
        " the threshold when they were handed over: how many (grey bars, n) and the share"
        f" that was won (red line). Few leads make a share swing.</p>{_sweep(data)}"
        f"<h2>All figures</h2><pre>{escape(render_text(data))}</pre>"
        "</body></html>\n"
    )
