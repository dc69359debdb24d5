-- Evaluation results that arrived as OTLP log records for the given traces (the `rewards` view's second source).
-- The trace filter is a PREWHERE: FINAL keeps ClickHouse from moving it there, and on the sort key's prefix it is
-- exact (docs/decisions/2026-12-03-prewhere-under-final.md).
SELECT trace_id, span_id, evaluation_name, evaluation_score, evaluation_explanation,
       toString(time_unix_nano) AS time_unix_nano
FROM events FINAL
PREWHERE tenant = {tenant:String} AND trace_id IN {trace_ids:Array(String)}
WHERE event_name = 'gen_ai.evaluation.result' AND evaluation_score IS NOT NULL
