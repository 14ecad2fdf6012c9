"""Calculate: Holt-Winters forecasts, confidence bands and aberrations.

Each function first fetches ``bootstrapInterval`` (7 days by default) of data before
the request to train the model, the seasonal cycle being ``seasonality`` (1 day);
both are capped by :data:`.bounds.MAX_REACH`.  The model and its constants
(alpha = gamma = 0.1, beta = 0.0035) are graphite-web's.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from graphmetrics.graphite.evaluator import Context, Param, function
from graphmetrics.graphite.functions.bounds import refetch, seconds
from graphmetrics.graphite.functions.common import BOOTSTRAPS, ONE_SERIES, SEASONS
from graphmetrics.graphite.grammar import TargetError
from graphmetrics.graphite.series import Series, Value

ALPHA = GAMMA = 0.1
BETA = 0.0035

_HIDDEN_BASE = {"stacked": True, "invisible": True}
_STACKED = {"stacked": True}

DELTA = Param("delta", "integer", default=3)
BOOTSTRAP = Param("bootstrapInterval", "interval", default="7d", suggestions=BOOTSTRAPS)
SEASONALITY = Param("seasonality", "interval", default="1d", suggestions=SEASONS)


@dataclass
class Analysis:
    predictions: list[Value]
    deviations: list[float]


def analyse(values: list[Value], season: int) -> Analysis:
    """graphite-web's holtWintersAnalysis over ``values``, ``season`` points a cycle."""
    intercepts: list[Value] = []
    slopes: list[float] = []
    seasonals: list[float] = []
    predictions: list[Value] = []
    deviations: list[float] = []

    def back(items: list[float], i: int) -> float:
        j = i - season
        return items[j] if j >= 0 else 0

    next_pred: Value = None
    for i, actual in enumerate(values):
        if actual is None:
            intercepts.append(None)
            slopes.append(0)
            seasonals.append(0)
            predictions.append(next_pred)
            deviations.append(0)
            next_pred = None
            continue
        if i == 0:
            last_intercept: float = actual
            last_slope = 0.0
            prediction: Value = actual
        else:
            previous = intercepts[-1]
            last_intercept = actual if previous is None else previous
            last_slope = slopes[-1]
            prediction = next_pred
        last_seasonal = back(seasonals, i)
        next_last_seasonal = back(seasonals, i + 1)
        last_deviation = back(deviations, i)
        intercept = ALPHA * (actual - last_seasonal) + (1 - ALPHA) * (last_intercept + last_slope)
        slope = BETA * (intercept - last_intercept) + (1 - BETA) * last_slope
        seasonal = GAMMA * (actual - intercept) + (1 - GAMMA) * last_seasonal
        next_pred = intercept + slope + next_last_seasonal
        deviation = GAMMA * math.fabs(actual - (prediction or 0)) + (1 - GAMMA) * last_deviation
        intercepts.append(intercept)
        slopes.append(slope)
        seasonals.append(seasonal)
        predictions.append(prediction)
        deviations.append(deviation)
    return Analysis(predictions, deviations)


def _trained(
    ctx: Context, func: str, bootstrap: str, seasonality: str
) -> list[tuple[Series, Analysis, int]]:
    """Each series refetched with its bootstrap, analysed; with the points to skip."""
    preview = abs(seconds(func, bootstrap))
    cycle = abs(seconds(func, seasonality))
    result = []
    for s in refetch(ctx, func, ctx.start - preview, ctx.end):
        season = cycle // s.step
        if season <= 0:
            raise TargetError(f"{func}: the seasonality must be at least one step ({s.step} s)")
        result.append((s, analyse(list(s), season), preview // s.step))
    return result


@function("holtWintersForecast", "Calculate", ONE_SERIES, BOOTSTRAP, SEASONALITY)
def holt_winters_forecast(
    ctx: Context, series: list[Series], bootstrap: str = "7d", seasonality: str = "1d"
) -> list[Series]:
    """The values Holt-Winters predicts for each point."""
    result = []
    preview = abs(seconds("holtWintersForecast", bootstrap))
    for s, analysis, skip in _trained(ctx, "holtWintersForecast", bootstrap, seasonality):
        name = f"holtWintersForecast({s.name})"
        values = analysis.predictions[skip:]
        result.append(Series(name, s.start + preview, s.end, s.step, values, xff=s.xff))
    return result


def bands(
    ctx: Context, func: str, delta: int, bootstrap: str, seasonality: str
) -> list[tuple[Series, Series]]:
    """(lower, upper): the forecast minus and plus ``delta`` deviations."""
    preview = abs(seconds(func, bootstrap))
    result = []
    for s, analysis, skip in _trained(ctx, func, bootstrap, seasonality):
        lower: list[Value] = []
        upper: list[Value] = []
        for forecast, deviation in zip(
            analysis.predictions[skip:], analysis.deviations[skip:], strict=True
        ):
            if forecast is None:
                lower.append(None)
                upper.append(None)
            else:
                lower.append(forecast - delta * deviation)
                upper.append(forecast + delta * deviation)
        start = s.start + preview
        pair = (
            Series(f"holtWintersConfidenceLower({s.name})", start, s.end, s.step, lower, xff=s.xff),
            Series(f"holtWintersConfidenceUpper({s.name})", start, s.end, s.step, upper, xff=s.xff),
        )
        for band in pair:
            band.path_expression = s.path_expression
        result.append(pair)
    return result


@function("holtWintersConfidenceBands", "Calculate", ONE_SERIES, DELTA, BOOTSTRAP, SEASONALITY)
def holt_winters_confidence_bands(
    ctx: Context,
    series: list[Series],
    delta: int = 3,
    bootstrap: str = "7d",
    seasonality: str = "1d",
) -> list[Series]:
    """The lower and upper confidence bands: forecast ∓ ``delta`` deviations."""
    pairs = bands(ctx, "holtWintersConfidenceBands", delta, bootstrap, seasonality)
    return [band for pair in pairs for band in pair]


@function("holtWintersConfidenceArea", "Calculate", ONE_SERIES, DELTA, BOOTSTRAP, SEASONALITY)
def holt_winters_confidence_area(
    ctx: Context,
    series: list[Series],
    delta: int = 3,
    bootstrap: str = "7d",
    seasonality: str = "1d",
) -> list[Series]:
    """The confidence bands as an area (the lower drawn invisible, the upper stacked on it).

    graphite-web refuses more than one series here (its areaBetween takes exactly two
    bands); each series gets its own pair.
    """
    result = []
    for lower, upper in bands(ctx, "holtWintersConfidenceArea", delta, bootstrap, seasonality):
        name = f"holtWintersConfidenceArea({upper.path_expression})"
        for band, drawing in ((lower, _HIDDEN_BASE), (upper, _STACKED)):
            band.name = band.path_expression = name
            options = getattr(band, "options", None)  # how PNG draws it, as areaBetween
            if options is not None:
                options.update(drawing)
        result += [lower, upper]
    return result


@function("holtWintersAberration", "Calculate", ONE_SERIES, DELTA, BOOTSTRAP, SEASONALITY)
def holt_winters_aberration(
    ctx: Context,
    series: list[Series],
    delta: int = 3,
    bootstrap: str = "7d",
    seasonality: str = "1d",
) -> list[Series]:
    """How far each value lies outside the confidence bands (0 inside them)."""
    found = {
        upper.name: (lower, upper)
        for lower, upper in bands(ctx, "holtWintersAberration", delta, bootstrap, seasonality)
    }
    result = []
    for s in series:
        pair = found.get(f"holtWintersConfidenceUpper({s.name})")
        if pair is None:
            continue
        lower, upper = pair
        values: list[Value] = []
        for i, actual in enumerate(s.raw()):
            high = upper[i] if i < len(upper) else None
            low = lower[i] if i < len(lower) else None
            if actual is None:
                values.append(0)
            elif high is not None and actual > high:
                values.append(actual - high)
            elif low is not None and actual < low:
                values.append(actual - low)
            else:
                values.append(0)
        name = f"holtWintersAberration({s.name})"
        result.append(Series(name, s.start, s.end, s.step, values, xff=s.xff))
    return result
