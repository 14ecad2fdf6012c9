"""Combine, Transform and Calculate functions compared with graphite-web's answers.

One graphite-web process answers every target of this module (the ``pair``
fixture); each target is rendered by our app over RRD files and by graphite-web over
whisper files holding the same samples.  The targets cover nulls (``rpm`` has gaps),
a counter that wraps (``bl``), series of different steps (60 s ``tracelog`` against
300 s ``metrics``) and keyword arguments.
"""

from __future__ import annotations

import pytest

from tests.functional.graphite.conftest import NOW, T0, Pair, assert_same_series

RANGE = {"from": str(T0 + 600), "until": str(T0 + 2 * 3600)}
LATE = {"from": str(T0 + 4200), "until": str(NOW)}
ALL = "tracelog.*.rpm"
ONE = "tracelog.app1__acme__inst1.rpm"
TWO = "tracelog.app2__acme__inst2.rpm"
EPM = "tracelog.*.epm"
BL = "tracelog.*.bl"
METRIC = "metrics.host_example.cfg.section.metric"
METRICS = "metrics.*.*.*.*"

COMBINE = [
    f"sum({ALL})",
    f"avg({ALL},{METRIC})",
    f"diffSeries({ALL})",
    f"diffSeries({ONE},{METRIC})",
    f"multiplySeries({ALL})",
    f"multiplySeries({ONE})",
    f"multiplySeries({EPM},{METRIC})",
    f"countSeries({ALL})",
    "countSeries()",
    f"countSeries({ALL},{METRICS})",
    f"stddevSeries({ALL})",
    f"rangeOfSeries({ALL},{METRIC})",
    f"percentileOfSeries({ALL},50)",
    f"percentileOfSeries({ALL},n=75,interpolate=true)",
    f"percentileOfSeries({ALL},33.3,false)",
    f"powSeries({EPM})",
    f"powSeries(tracelog.app1__acme__inst1.epm,{METRIC})",
    f"sumSeriesLists({ALL},{EPM})",
    f"diffSeriesLists({ALL},{EPM})",
    f"multiplySeriesLists({EPM},{BL})",
    f"aggregateSeriesLists({ALL},{EPM},'max')",
    f"aggregateSeriesLists({ALL},{EPM},func='avg',xFilesFactor=0.5)",
    f"aggregateSeriesLists({ALL}|limit(2),{METRICS},'sumSeries')",
    f"divideSeries({ALL},{METRIC})",
    f"divideSeries({EPM},tracelog.app3__beta__web1.epm)",
    f"divideSeries({EPM},nothing.here)",
    f"divideSeriesLists({ALL},{EPM})",
    f"divideSeriesLists({METRICS},{METRICS})",
    "averageSeriesWithWildcards(tracelog.*.*,1)",
    "multiplySeriesWithWildcards(tracelog.*.epm,1)",
    "averageSeriesWithWildcards(tracelog.*.*,1,2)",
    f"weightedAverage({ALL},{EPM})",
    f"weightedAverage({ALL},{EPM},1)",
    f"weightedAverage({ALL},{EPM},0)",
    f"pct({EPM},{ALL})",
    f"groupByNode({ALL},1,'diffSeries')",
    "groupByNode(tracelog.*.*,2,'multiply')",
    "groupByNodes(tracelog.*.*,'stddevSeries',2)",
    "groupByNodes(tracelog.*.*,'powSeries',1)",
    "groupByNode(tracelog.*.*,1,'countSeries')",
    "groupByNode(tracelog.*.*,1,'asPercent')",
    "groupByNodes(tracelog.*.*,'pct',2)",
    "groupByNodes(tracelog.*.*,'avg',2)",
    "aggregate(tracelog.*.*,'count')",
    "aggregate(tracelog.*.*,'median',0.7)",
    "aggregate(tracelog.*.*,'rangeOfSeries')",
    "aggregateWithWildcards(tracelog.*.*,'stddev',2)",
    "reduceSeries(mapSeries(tracelog.*.*,1),'divideSeries',2,'rpm','epm')",
    "reduce(map(tracelog.*.*,1),'asPercent',2,'epm','rpm')",
    "reduceSeries(mapSeries(tracelog.*.{rpm,bl},1),'diffSeries',2,'rpm','bl')",
    "applyByNode(tracelog.*.*,1,'sumSeries(%.*)')",
    "applyByNode(tracelog.*.*,1,'divideSeries(%.epm,%.rpm)','%.ratio')",
    "aliasByNode(applyByNode(tracelog.*.rpm,1,'scale(%.*,2)'),1)",
]

TRANSFORM = [
    f"add({ALL},1.5)",
    f"add({EPM},-3)",
    f"exp(scale({EPM},0.1))",
    f"invert({EPM})",
    f"log({ALL})",
    f"log({EPM},2)",
    f"log(offset({EPM},-2),base=3)",
    f"logit(scale({EPM},0.2))",
    f"pow({ALL},0.5)",
    f"pow(offset({EPM},-3),-1)",
    f"squareRoot(offset({ALL},-110))",
    f"sigmoid(offset({EPM},-2))",
    f"round(scale({ALL},0.01))",
    f"round({ALL},1)",
    f"round({ALL},-1)",
    f"scaleToSeconds({BL},1)",
    f"scaleToSeconds({METRIC},30)",
    f"isNonNull({ALL})",
    f"minMax({ALL})",
    f"minMax({METRICS})",
    f"offsetToZero({ALL})",
    f"delay({ALL},3)",
    f"delay({ALL},-2)",
    f"delay({METRIC},steps=1)",
    f"timeSlice({ALL},'{T0 + 1800}','{T0 + 3600}')",
    f"timeSlice({ALL},'{T0 + 5000}','{NOW}')",
    f"timeSlice({ALL},startSliceAt='{T0 + 5000}',endSliceAt='{T0 + 6000}')",
    f"timeStack({ONE},'10min',0,3)",
    f"timeStack({ALL},timeShiftUnit='-30min',timeShiftStart=1,timeShiftEnd=3)",
    f"integralByInterval({EPM},'30min')",
    f"integralByInterval({ALL},'1h')",
    f"interpolate({ALL})",
    f"interpolate({ALL},2)",
    f"interpolate({ALL},limit=1)",
    f"hitcount({EPM},'10min')",
    f"hitcount({BL},'7min')",
    f"hitcount({METRIC},'1h')",
    f"hitcount({EPM},'15min',true)",
    f"hitcount({METRIC},'2h',alignToInterval=true)",
    f"smartSummarize({ALL},'15min')",
    f"smartSummarize({ALL},'1h','max')",
    f"smartSummarize({ALL},'7min',func='avg')",
    f"smartSummarize({ALL},'30min','sum','hours')",
    f"smartSummarize({METRIC},'1h','last','days')",
    f"smartSummarize({EPM},'20min','sum','minutes')",
    "sinFunction('wave')",
    "sin('wave',3,120)",
    "time('clock')",
    "timeFunction('clock',step=300)",
    f"summarize(perSecond({BL}),'15min','max')",
    f"nonNegativeDerivative({BL},maxValue=60)",
    f"perSecond({BL},60,5)",
]

CALCULATE = [
    f"movingWindow({ALL},5)",
    f"movingWindow({ALL},windowSize=4,func='max')",
    f"movingWindow({ALL},'10min','median',0.5)",
    f"movingWindow({METRIC},2,'sum')",
    f"movingMedian({ALL},5)",
    f"movingMedian({ALL},'15min')",
    f"movingSum({BL},3)",
    f"movingMin({ALL},'5min')",
    f"movingMax({ALL},6,0.8)",
    f"movingAverage({ALL},5,xFilesFactor=0.9)",
    f"exponentialMovingAverage({ALL},5)",
    f"exponentialMovingAverage({ALL},'3min')",
    f"exponentialMovingAverage({METRIC},2)",
    f"nPercentile({ALL},50)",
    f"nPercentile({ALL},95)",
    f"nPercentile({METRICS},n=10)",
    f"stdev({ALL},5)",
    f"stdev({ALL},10,0.5)",
    f"stdev({METRIC},points=3)",
    f"linearRegression({ALL})",
    f"linearRegression({ALL},'{T0 + 600}','{T0 + 3600}')",
    f"linearRegression({METRIC},startSourceAt='{T0 + 300}')",
    f"aggregateLine({ALL})",
    f"aggregateLine({ALL},'max')",
    f"aggregateLine({ALL},func='sum',keepStep=true)",
    "identity('x')",
]

HOLT_WINTERS = [
    f"holtWintersForecast({ALL},'1h','30min')",
    f"holtWintersForecast({ONE},'1h')",
    f"holtWintersForecast({METRIC},bootstrapInterval='40min',seasonality='20min')",
    f"holtWintersConfidenceBands({ALL},3,'1h','30min')",
    f"holtWintersConfidenceBands({ONE},delta=2,bootstrapInterval='1h',seasonality='10min')",
    f"holtWintersConfidenceArea({ONE},3,'1h','30min')",
    f"holtWintersAberration({ALL},2,'1h','30min')",
    f"holtWintersAberration({ONE},bootstrapInterval='30min',seasonality='15min')",
]


def _check(pair: Pair, target: str, times: dict[str, str]) -> None:
    mine, theirs = pair.render([target], **times)
    assert theirs, f"graphite-web found no series for {target}"
    assert_same_series(mine, theirs)


@pytest.mark.parametrize("target", COMBINE)
def test_combine_matches_graphite_web(pair: Pair, target: str) -> None:
    _check(pair, target, RANGE)


@pytest.mark.parametrize("target", TRANSFORM)
def test_transform_matches_graphite_web(pair: Pair, target: str) -> None:
    _check(pair, target, RANGE)


@pytest.mark.parametrize("target", CALCULATE)
def test_calculate_matches_graphite_web(pair: Pair, target: str) -> None:
    _check(pair, target, RANGE)


@pytest.mark.parametrize("target", HOLT_WINTERS)
def test_holt_winters_matches_graphite_web(pair: Pair, target: str) -> None:
    _check(pair, target, LATE)


# Where graphite-web is wrong: our answer to the first form is graphite-web's to the second.
FIXED = [
    # graphite-web drops a series list passed as a keyword argument
    (f"divideSeries(dividendSeriesList={ONE},divisorSeries={TWO})", f"divideSeries({ONE},{TWO})"),
    (f"transformNull({ONE},0,referenceSeries={TWO})", f"transformNull({ONE},0,{TWO})"),
    # graphite-web reads relative times and the default "now" on its own clock, not the
    # request's ``now``
    (f"timeSlice({ALL},'{T0 + 5000}')", f"timeSlice({ALL},'{T0 + 5000}','{NOW}')"),
    (f"timeSlice({ALL},'now-1h','now-30min')", f"timeSlice({ALL},'{NOW - 3600}','{NOW - 1800}')"),
    (
        f"linearRegression({ALL},'now-2h','now-1h')",
        f"linearRegression({ALL},'{NOW - 7200}','{NOW - 3600}')",
    ),
    # delay by 0 steps empties the series in graphite-web
    (f"delay({ALL},0)", ALL),
]


@pytest.mark.parametrize(("target", "reference"), FIXED)
def test_graphite_web_bugs_fixed(pair: Pair, target: str, reference: str) -> None:
    mine, _ = pair.render([target], **RANGE)
    _, theirs = pair.render([reference], **RANGE)
    assert theirs
    if target.startswith("delay"):
        for s in theirs:
            s["target"] = f"delay({s['target']},0)"
    assert_same_series(mine, theirs)


# maxDataPoints consolidates the results afterwards; xFilesFactor reaches the
# aggregations and windows through the request
WITH_PARAMS = [
    ({"maxDataPoints": 37}, f"movingAverage({ALL},5)"),
    ({"maxDataPoints": 37}, f"hitcount({EPM},'10min')"),
    ({"maxDataPoints": 29}, f"divideSeries({ALL},{METRIC})"),
    ({"maxDataPoints": 29}, f"consolidateBy(stdev({ALL},4),'max')"),
    ({"maxDataPoints": 10}, f"integralByInterval({EPM},'30min')"),
    ({"xFilesFactor": "0.6"}, f"diffSeries({ALL},{METRIC})"),
    ({"xFilesFactor": "0.6"}, f"movingSum({ALL},4)"),
    ({"xFilesFactor": "0.6"}, f"smartSummarize({ALL},'7min','avg')"),
    ({"xFilesFactor": "0.4"}, f"multiplySeriesWithWildcards({ALL},1)"),
    # calendar alignment in the request's zone (half-hour offset: differs from UTC)
    ({"tz": "Asia/Kolkata"}, f"hitcount({METRIC},'1h',alignToInterval=true)"),
    ({"tz": "Asia/Kolkata"}, f"smartSummarize({ALL},'1h','sum','hours')"),
    ({"tz": "America/St_Johns"}, f"smartSummarize({METRIC},'1h','last','days')"),
]


@pytest.mark.parametrize(("params", "target"), WITH_PARAMS)
def test_request_parameters_match_graphite_web(
    pair: Pair, params: dict[str, object], target: str
) -> None:
    mine, theirs = pair.render([target], **RANGE, **params)
    assert theirs
    assert_same_series(mine, theirs)


# Each function over another input in turn (wrapping counters, 300 s steps, a list
# of mixed steps), over an unaligned range consolidated to 61 points
INNER = [ALL, BL, METRICS, "tracelog.app1__acme__inst1.epm", f"group({ALL},{METRICS})"]
OUTER = [
    "derivative(%s)",
    "integral(%s)",
    "perSecond(%s)",
    "keepLastValue(%s,3)",
    "transformNull(%s,5)",
    "movingMedian(%s,'7min')",
    "movingSum(%s,3,0.3)",
    "exponentialMovingAverage(%s,4)",
    "stdev(%s,6,0.3)",
    "nPercentile(%s,90)",
    "hitcount(%s,'13min')",
    "smartSummarize(%s,'17min','median')",
    "summarize(%s,'17min','median',true)",
    "integralByInterval(%s,'20min')",
    "interpolate(%s,3)",
    "delay(%s,4)",
    "offsetToZero(%s)",
    "minMax(%s)",
    "asPercent(%s)",
    "percentileOfSeries(%s,90,true)",
    "stddevSeries(%s)",
    "diffSeries(%s)",
    "multiplySeries(%s)",
    "countSeries(%s)",
    "rangeOfSeries(%s)",
    "aggregate(%s,'avg_zero')",
    "aggregate(%s,'last',0.5)",
    "linearRegression(%s)",
    "holtWintersAberration(%s,1,'30min','10min')",
    "aggregateLine(%s,'median')",
    "timeStack(%s,'7min',1,3)",
    "log(%s,3)",
    "squareRoot(%s)",
    "pow(%s,1.5)",
    "scaleToSeconds(%s,7)",
    "round(%s,-1)",
    "isNonNull(%s)",
    "movingWindow(%s,'11min','avg_zero')",
    "movingWindow(%s,3,'last',0.5)",
    "movingWindow(%s,5,'diff')",
    "movingWindow(%s,4,'range')",
    "movingWindow(%s,4,'count')",
    "movingWindow(%s,4,'stddev')",
    "movingWindow(%s,4,'multiply')",
    "groupByNode(%s,0,'rangeOfSeries')",
    "sumSeriesWithWildcards(%s,1)",
]
MIXED = [outer % INNER[i % len(INNER)] for i, outer in enumerate(OUTER)]
ODD_RANGE = {"from": str(T0 + 1000), "until": str(T0 + 2 * 3600 + 77), "maxDataPoints": 61}


@pytest.mark.parametrize("target", MIXED)
def test_mixed_inputs_match_graphite_web(pair: Pair, target: str) -> None:
    mine, theirs = pair.render([target], **ODD_RANGE)
    assert_same_series(mine, theirs)
