-- Evaluation results that arrived as OTLP log records for the given traces (the `rewards` view's second source).
SELECT trace_id, span_id, evaluation_name, evaluation_score, evaluation_explanation,
       toString(time_unix_nano) AS time_unix_nano
FROM events FINAL
WHERE tenant = {tenant:String} AND trace_id IN {trace_ids:Array(String)}
  AND event_name = 'gen_ai.evaluation.result' AND evaluation_score IS NOT NULL
