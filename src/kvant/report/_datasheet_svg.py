"""Small inline SVG plots of fits (data, error bars, fitted curve), cheap enough for hundreds."""

from __future__ import annotations

import math
from html import escape

import numpy as np

from kvant.bench import FitResult

__all__ = ["fit_svg"]

_W, _H = 240, 150
_L, _R, _T, _B = 38, 8, 18, 24


def _fmt(value: float) -> str:
    if value == 0 or not math.isfinite(value):
        return "0" if value == 0 else "nan"
    if abs(value) >= 1000 or abs(value) < 0.01:
        return f"{value:.1e}"
    return f"{value:.3g}"


def fit_svg(fit: FitResult, title: str) -> str:
    """An SVG drawing of ``fit``: points with error bars, the fitted curve (red if bad).

    >>> from kvant.bench import FitResult
    >>> fit = FitResult("exp_decay", {"a": 1.0, "tau": 2.0, "b": 0.0}, {}, (0, 1, 2), (1, .6, .37))
    >>> svg = fit_svg(fit, "T1 q0")
    >>> svg.startswith("<svg") and "polyline" in svg
    True
    """
    x = np.asarray(fit.x, dtype=np.float64)
    y = np.asarray(fit.y, dtype=np.float64)
    e = np.asarray(fit.yerr, dtype=np.float64) if fit.yerr else np.zeros_like(y)
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{_W}" height="{_H}" '
        f'viewBox="0 0 {_W} {_H}" class="fit">',
        f'<text x="{_W / 2}" y="12" text-anchor="middle" font-size="11">{escape(title)}</text>',
    ]
    if x.size == 0 or not np.all(np.isfinite(y)):
        parts.append('<text x="20" y="80" font-size="11">no data</text></svg>')
        return "".join(parts)
    grid = np.linspace(float(x.min()), float(x.max()), 160)
    curve = None
    if all(math.isfinite(v) for v in fit.params.values()):
        try:
            curve = np.asarray(fit.evaluate(grid), dtype=np.float64)
        except (ValueError, KeyError):
            curve = None
    lows = [float((y - e).min())] + ([float(curve.min())] if curve is not None else [])
    highs = [float((y + e).max())] + ([float(curve.max())] if curve is not None else [])
    y0, y1 = min(lows), max(highs)
    if y1 - y0 < 1e-12:
        y0, y1 = y0 - 0.5, y1 + 0.5
    x0, x1 = float(x.min()), float(x.max()) if x.max() > x.min() else float(x.min()) + 1

    def px(v: float) -> float:
        return _L + (v - x0) / (x1 - x0) * (_W - _L - _R)

    def py(v: float) -> float:
        return _H - _B - (v - y0) / (y1 - y0) * (_H - _T - _B)

    parts.append(
        f'<rect x="{_L}" y="{_T}" width="{_W - _L - _R}" height="{_H - _T - _B}" '
        'fill="none" stroke="#888"/>'
    )
    for value, anchor_y in ((y0, py(y0)), (y1, py(y1))):
        parts.append(
            f'<text x="{_L - 3}" y="{anchor_y + 4:.1f}" text-anchor="end" font-size="9">'
            f"{_fmt(value)}</text>"
        )
    for value in (x0, x1):
        parts.append(
            f'<text x="{px(value):.1f}" y="{_H - 10}" text-anchor="middle" font-size="9">'
            f"{_fmt(value)}</text>"
        )
    for xi, yi, ei in zip(x, y, e, strict=True):
        cx, cy = px(float(xi)), py(float(yi))
        if ei > 0:
            parts.append(
                f'<line x1="{cx:.1f}" x2="{cx:.1f}" y1="{py(float(yi - ei)):.1f}" '
                f'y2="{py(float(yi + ei)):.1f}" stroke="#3b6ea8"/>'
            )
        parts.append(f'<circle cx="{cx:.1f}" cy="{cy:.1f}" r="2" fill="#3b6ea8"/>')
    if curve is not None:
        colour = "#2a9d4b" if fit.good else "#c0392b"
        points = " ".join(
            f"{px(float(a)):.1f},{py(float(b)):.1f}" for a, b in zip(grid, curve, strict=True)
        )
        parts.append(f'<polyline points="{points}" fill="none" stroke="{colour}"/>')
    parts.append("</svg>")
    return "".join(parts)
