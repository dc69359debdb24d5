-- The `rewards` view. Its TypeScript twin is collect-rewards.ts; re-applied on every start.
--
-- Every reward with its source: reward spans (Agent Lightning annotations; `dimension` 0 is the primary reward),
-- `gen_ai.evaluation.result` events (span events and log records; a log record whose span is unknown joins the
-- trace's default trajectory) and feedback posted to the API.
CREATE OR REPLACE VIEW rewards {{on_cluster}} AS
SELECT * FROM
(
    -- Reward spans and evaluation span events in one pass over the spans (each use of trajectory_spans is
    -- planned separately, so the view reads it as few times as it can).
    SELECT tenant, trace_id, trajectory_id, root_trajectory_id, found.1 AS name, found.2 AS value, found.3 AS source,
           found.4 AS comment, span_id, found.5 AS time_unix_nano, found.6 AS dimension
    FROM trajectory_spans(tenant = {tenant:String}, trace_ids = {trace_ids:Array(String)})
    ARRAY JOIN arrayConcat(
        if(kind = 'reward',
           arrayMap((reward, position) -> (reward.1, reward.2, 'span', '', end_time_unix_nano, toUInt32(position - 1)),
                    rewards, arrayEnumerate(rewards)),
           []),
        arrayMap(event -> (JSONExtractString(event, 'attributes', 'gen_ai.evaluation.name'),
                           JSONExtractFloat(event, 'attributes', 'gen_ai.evaluation.score.value'), 'evaluation',
                           JSONExtractString(event, 'attributes', 'gen_ai.evaluation.explanation'),
                           toUInt64OrZero(JSONExtractString(event, 'time_unix_nano')), toUInt32(0)),
                 arrayFilter(event -> JSONExtractString(event, 'name') = 'gen_ai.evaluation.result'
                                      AND JSONHas(event, 'attributes', 'gen_ai.evaluation.score.value'),
                             JSONExtractArrayRaw(events)))
    ) AS found

    UNION ALL

    -- Evaluation results sent as log records: the trajectory of their span, else the trace's default one.
    SELECT evaluation.tenant AS tenant, evaluation.trace_id AS trace_id,
           if(mapContains(located.span_trajectory, evaluation.span_id), located.span_trajectory[evaluation.span_id],
              located.default_trajectory) AS trajectory_id,
           if(mapContains(located.span_root, evaluation.span_id), located.span_root[evaluation.span_id],
              located.default_trajectory) AS root_trajectory_id,
           evaluation.evaluation_name AS name, assumeNotNull(evaluation.evaluation_score) AS value,
           'evaluation' AS source, evaluation.evaluation_explanation AS comment,
           evaluation.span_id AS span_id, evaluation.time_unix_nano AS time_unix_nano, toUInt32(0) AS dimension
    FROM
    (
        SELECT * FROM events FINAL
        WHERE tenant = {tenant:String}
          AND (empty({trace_ids:Array(String)}) OR has({trace_ids:Array(String)}, trace_id))
          AND event_name = 'gen_ai.evaluation.result' AND evaluation_score IS NOT NULL
    ) AS evaluation
    INNER JOIN
    (
        SELECT trace_id,
               mapFromArrays(groupArray(span_id), groupArray(trajectory_id)) AS span_trajectory,
               mapFromArrays(groupArray(span_id), groupArray(root_trajectory_id)) AS span_root,
               any(trace_default_trajectory_id) AS default_trajectory
        FROM trajectory_spans(tenant = {tenant:String}, trace_ids = {trace_ids:Array(String)})
        GROUP BY trace_id
    ) AS located ON located.trace_id = evaluation.trace_id

    UNION ALL

    SELECT tenant, trace_id, trajectory_id, '' AS root_trajectory_id, name, value, 'feedback' AS source, comment,
           '' AS span_id, time_unix_nano, toUInt32(0) AS dimension
    FROM feedback FINAL
    WHERE tenant = {tenant:String}
      AND (empty({trace_ids:Array(String)}) OR has({trace_ids:Array(String)}, trace_id))
);
