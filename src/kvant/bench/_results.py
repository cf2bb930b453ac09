"""Result types of the characterisation suite: fits and metrics, with uncertainties.

Every analysis returns a :class:`FitResult` (the fitted curve, parameter standard errors and a
quality flag) and turns it into :class:`Metric` s: one number, its standard error, its unit,
how it was measured and whether the fit behind it can be trusted.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from kvant.errors import AnalysisError

__all__ = ["FitQuality", "FitResult", "Metric"]


class FitQuality(StrEnum):
    """How far a fitted value can be trusted."""

    GOOD = "good"
    """Converged, finite covariance, residuals consistent with the error bars."""
    BAD_FIT = "bad-fit"
    """The fit failed or is unreliable (see the result's ``reason``); the value is a guess."""


def _float(value: object, where: str) -> float:
    if isinstance(value, bool) or value is None:
        raise AnalysisError(f"{where} must be a number, got {value!r}")
    try:
        return float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        raise AnalysisError(f"{where} must be a number, got {value!r}") from None


def _json_float(value: float) -> float | str:
    """NaN and infinities as strings, so that the JSON stays standard."""
    return value if math.isfinite(value) else str(value)


@dataclass(frozen=True)
class FitResult:
    """A fitted curve.

    Attributes:
        model: Name of the model (``"exp_decay"``, ``"damped_cosine"``, ``"rb_decay"``...).
        params: Fitted parameters by name.
        stderr: Standard error of each parameter (NaN where unknown).
        x: The abscissae that were fitted.
        y: The data.
        yerr: Standard error of each data point.
        reduced_chi2: Chi-squared per degree of freedom (NaN if undefined).
        quality: :class:`FitQuality`.
        reason: Why the quality is not ``good`` (empty otherwise).

    >>> fit = FitResult("exp_decay", {"tau": 2.0}, {"tau": 0.1}, (0.0, 1.0), (1.0, 0.6), (0.1, 0.1))
    >>> FitResult.from_dict(fit.to_dict()) == fit
    True
    """

    model: str
    params: Mapping[str, float]
    stderr: Mapping[str, float]
    x: tuple[float, ...] = ()
    y: tuple[float, ...] = ()
    yerr: tuple[float, ...] = ()
    reduced_chi2: float = math.nan
    quality: FitQuality = FitQuality.GOOD
    reason: str = ""

    def __post_init__(self) -> None:
        object.__setattr__(self, "params", {str(k): float(v) for k, v in self.params.items()})
        object.__setattr__(self, "stderr", {str(k): float(v) for k, v in self.stderr.items()})
        for name in ("x", "y", "yerr"):
            object.__setattr__(self, name, tuple(float(v) for v in getattr(self, name)))
        object.__setattr__(self, "quality", FitQuality(self.quality))

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, FitResult):
            return NotImplemented
        return _same(self.to_dict(), other.to_dict())

    __hash__ = None  # type: ignore[assignment]

    @property
    def good(self) -> bool:
        """True if the quality is :attr:`FitQuality.GOOD`."""
        return self.quality is FitQuality.GOOD

    def evaluate(self, x: Any) -> Any:
        """The fitted curve at ``x`` (an array), for plots.

        Raises:
            AnalysisError: For an unknown model.

        >>> fit = FitResult("exp_decay", {"a": 1.0, "tau": 1.0, "b": 0.0}, {})
        >>> round(float(fit.evaluate(1.0)), 6)
        0.367879
        """
        import numpy as np

        from kvant.bench._fit import MODELS

        if self.model not in MODELS:
            raise AnalysisError(f"unknown fit model {self.model!r}; known: {sorted(MODELS)}")
        func, names = MODELS[self.model]
        return func(np.asarray(x, dtype=np.float64), *(self.params[n] for n in names))

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON-ready data (NaN written as the string ``"nan"``)."""
        return {
            "model": self.model,
            "params": {k: _json_float(v) for k, v in self.params.items()},
            "stderr": {k: _json_float(v) for k, v in self.stderr.items()},
            "x": list(self.x),
            "y": [_json_float(v) for v in self.y],
            "yerr": [_json_float(v) for v in self.yerr],
            "reduced_chi2": _json_float(self.reduced_chi2),
            "quality": self.quality.value,
            "reason": self.reason,
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> FitResult:
        """Rebuild from :meth:`to_dict` output.

        Raises:
            AnalysisError: For a missing or malformed field.
        """
        try:
            return cls(
                str(data["model"]),
                {k: _float(v, f"params.{k}") for k, v in data["params"].items()},
                {k: _float(v, f"stderr.{k}") for k, v in data["stderr"].items()},
                tuple(_float(v, "x") for v in data.get("x", ())),
                tuple(_float(v, "y") for v in data.get("y", ())),
                tuple(_float(v, "yerr") for v in data.get("yerr", ())),
                _float(data.get("reduced_chi2", "nan"), "reduced_chi2"),
                FitQuality(data.get("quality", "good")),
                str(data.get("reason", "")),
            )
        except (KeyError, AttributeError, ValueError) as exc:
            if isinstance(exc, AnalysisError):
                raise
            raise AnalysisError(f"cannot read a fit result from this data: {exc!r}") from exc


@dataclass(frozen=True)
class Metric:
    """One measured figure of a device.

    Attributes:
        name: What was measured (``"t1_us"``, ``"error_per_clifford"``, ``"quantum_volume"``...).
        value: The value.
        stderr: Its standard error (NaN if unknown).
        unit: Unit (``"us"``, ``""`` for a probability or a ratio).
        method: How it was measured and how the uncertainty was obtained.
        qubits: The qubits it belongs to (empty for a device-wide figure).
        quality: Whether the fit behind it can be trusted.
        reason: Why the quality is not ``good``.
        fit: The fit it came from, if any (for plots).

    >>> m = Metric("t1_us", 201.0, 4.0, "us", "inversion recovery", (3,))
    >>> Metric.from_dict(m.to_dict()) == m
    True
    """

    name: str
    value: float
    stderr: float
    unit: str
    method: str
    qubits: tuple[int, ...] = ()
    quality: FitQuality = FitQuality.GOOD
    reason: str = ""
    fit: FitResult | None = field(default=None, compare=True)

    def __post_init__(self) -> None:
        object.__setattr__(self, "value", float(self.value))
        object.__setattr__(self, "stderr", float(self.stderr))
        object.__setattr__(self, "qubits", tuple(int(q) for q in self.qubits))
        object.__setattr__(self, "quality", FitQuality(self.quality))

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Metric):
            return NotImplemented
        return _same(self.to_dict(), other.to_dict())

    __hash__ = None  # type: ignore[assignment]

    @property
    def good(self) -> bool:
        """True if the quality is :attr:`FitQuality.GOOD`."""
        return self.quality is FitQuality.GOOD

    def to_dict(self, *, with_fit: bool = True) -> dict[str, Any]:
        """Plain JSON-ready data."""
        out: dict[str, Any] = {
            "name": self.name,
            "value": _json_float(self.value),
            "stderr": _json_float(self.stderr),
            "unit": self.unit,
            "method": self.method,
            "qubits": list(self.qubits),
            "quality": self.quality.value,
            "reason": self.reason,
        }
        if with_fit and self.fit is not None:
            out["fit"] = self.fit.to_dict()
        return out

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Metric:
        """Rebuild from :meth:`to_dict` output.

        Raises:
            AnalysisError: For a missing or malformed field.
        """
        try:
            fit = data.get("fit")
            return cls(
                str(data["name"]),
                _float(data["value"], "value"),
                _float(data.get("stderr", "nan"), "stderr"),
                str(data.get("unit", "")),
                str(data.get("method", "")),
                tuple(int(q) for q in data.get("qubits", ())),
                FitQuality(data.get("quality", "good")),
                str(data.get("reason", "")),
                FitResult.from_dict(fit) if fit is not None else None,
            )
        except (KeyError, AttributeError, TypeError, ValueError) as exc:
            if isinstance(exc, AnalysisError):
                raise
            raise AnalysisError(f"cannot read a metric from this data: {exc!r}") from exc


def _same(a: object, b: object) -> bool:
    """Equality of plain data where NaN equals NaN."""
    if isinstance(a, float) and isinstance(b, float):
        return a == b or (math.isnan(a) and math.isnan(b))
    if isinstance(a, dict) and isinstance(b, dict):
        return a.keys() == b.keys() and all(_same(a[k], b[k]) for k in a)
    if isinstance(a, list) and isinstance(b, list):
        return len(a) == len(b) and all(_same(x, y) for x, y in zip(a, b, strict=True))
    return a == b
