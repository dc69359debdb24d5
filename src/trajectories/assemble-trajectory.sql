-- The `trajectories` view. Its TypeScript twin is assemble-trajectory.ts (with final-reward.ts); re-applied on
-- every start.
--
-- One row per trajectory. Final reward, one rule: the latest feedback posted for the trajectory; else the latest
-- primary reward span in the trajectory, else in its root trajectory (child agents inherit the episode reward);
-- else the latest evaluation result, same fallback; else NULL. Outcome: success when the final reward is > 0,
-- failure when it is <= 0 or (without a reward) the root span failed, unknown otherwise. Complete: the root span
-- is stored (spans are exported when they end) and no span of the trajectory arrived for `quiet_seconds`.
CREATE OR REPLACE VIEW trajectories {{on_cluster}} AS
WITH
    base AS
    (
        SELECT
            tenant,
            trajectory_id AS id,
            argMin(trace_id, (start_time_unix_nano, span_id)) AS trace_id,
            any(parent_trajectory_id) AS parent_trajectory_id,
            any(root_trajectory_id) AS root_trajectory_id,
            any(trajectory_agent_span_id) AS agent_span_id,
            if(agent_span_id != '', agent_span_id,
               argMinIf(span_id, (start_time_unix_nano, span_id), parent_span_id = '')) AS root_span_id,
            if(agent_span_id != '', 1, countIf(parent_span_id = '') > 0) AS has_root,
            argMinIf(agent_name, (NOT is_root_span, start_time_unix_nano), agent_name != '') AS trajectory_agent_name,
            argMinIf(agent_id, (NOT is_root_span, start_time_unix_nano), agent_id != '') AS trajectory_agent_id,
            argMinIf(task, (NOT is_root_span, start_time_unix_nano), task != '') AS trajectory_task,
            argMinIf(first_user_text, (start_time_unix_nano, span_id), kind = 'llm') AS first_call_user_text,
            argMinIf(task_id, (NOT is_root_span, start_time_unix_nano), task_id != '') AS explicit_task_id,
            argMinIf(conversation_id, start_time_unix_nano, conversation_id != '') AS trajectory_conversation_id,
            argMinIf(rollout_id, start_time_unix_nano, rollout_id != '') AS trajectory_rollout_id,
            argMinIf(attempt_id, start_time_unix_nano, rollout_id != '') AS trajectory_attempt_id,
            min(start_time_unix_nano) AS first_start_ns,
            max(end_time_unix_nano) AS last_end_ns,
            countIf(status = 'error') AS error_count,
            sumIf(ifNull(input_tokens, 0), kind = 'llm') AS input_token_total,
            sumIf(ifNull(output_tokens, 0), kind = 'llm') AS output_token_total,
            anyIf(status, is_root_span) AS root_status,
            max(ingested_at) AS last_ingested_at
        FROM
        (
            SELECT *, span_id = trajectory_agent_span_id OR (trajectory_agent_span_id = '' AND parent_span_id = '') AS is_root_span
            FROM trajectory_spans(tenant = {tenant:String}, trace_ids = {trace_ids:Array(String)})
        )
        GROUP BY tenant, trajectory_id
    ),
    turn_totals AS
    (
        SELECT trajectory_id, count() AS turn_count, sum(length(tool_calls)) AS tool_call_count,
               argMin(first_user_hash, index) AS first_user_hash
        FROM turns(tenant = {tenant:String}, trace_ids = {trace_ids:Array(String)})
        GROUP BY trajectory_id
    ),
    reward_totals AS
    (
        SELECT trajectory_id,
               countIf(source = 'feedback') AS feedback_count,
               argMaxIf(value, (time_unix_nano, span_id, name), source = 'feedback') AS feedback_value,
               countIf(source = 'span' AND dimension = 0) AS span_count,
               argMaxIf(value, (time_unix_nano, span_id), source = 'span' AND dimension = 0) AS span_value,
               countIf(source = 'evaluation') AS evaluation_count,
               argMaxIf(value, (time_unix_nano, span_id, name), source = 'evaluation') AS evaluation_value
        FROM rewards(tenant = {tenant:String}, trace_ids = {trace_ids:Array(String)})
        GROUP BY trajectory_id
    )
SELECT
    base.id AS id,
    base.tenant AS tenant,
    base.trace_id AS trace_id,
    base.root_span_id AS root_span_id,
    base.parent_trajectory_id AS parent_trajectory_id,
    base.root_trajectory_id AS root_trajectory_id,
    base.trajectory_agent_name AS agent_name,
    base.trajectory_agent_id AS agent_id,
    -- Without an explicit task, what the user asked the first model call (500 characters at most).
    if(base.trajectory_task != '', base.trajectory_task, leftUTF8(base.first_call_user_text, 500)) AS task,
    multiIf(base.explicit_task_id != '', base.explicit_task_id, turn_totals.first_user_hash != '', turn_totals.first_user_hash,
            base.trajectory_task != '', concat('task:', left(lower(hex(SHA256(base.trajectory_task))), 16)), '') AS task_id,
    base.trajectory_conversation_id AS conversation_id,
    base.trajectory_rollout_id AS rollout_id,
    base.trajectory_attempt_id AS attempt_id,
    toString(base.first_start_ns) AS start_time_unix_nano,
    toString(base.last_end_ns) AS end_time_unix_nano,
    base.first_start_ns AS start_ns,
    if(base.last_end_ns > base.first_start_ns, (base.last_end_ns - base.first_start_ns) / 1e6, 0) AS duration_ms,
    toUInt32(turn_totals.turn_count) AS turn_count,
    toUInt32(turn_totals.tool_call_count) AS tool_call_count,
    toUInt32(base.error_count) AS error_count,
    base.input_token_total AS input_tokens,
    base.output_token_total AS output_tokens,
    multiIf(base.feedback_count > 0, toNullable(base.feedback_value),
            base.span_count > 0, toNullable(base.span_value),
            root_span_count > 0, toNullable(root_span_value),
            base.evaluation_count > 0, toNullable(base.evaluation_value),
            root_evaluation_count > 0, toNullable(root_evaluation_value),
            NULL) AS final_reward,
    multiIf(base.feedback_count > 0, 'feedback', base.span_count > 0 OR root_span_count > 0, 'span',
            base.evaluation_count > 0 OR root_evaluation_count > 0, 'evaluation', '') AS final_reward_source,
    multiIf(final_reward IS NOT NULL AND final_reward > 0, 'success',
            final_reward IS NOT NULL, 'failure',
            base.root_status = 'error', 'failure', 'unknown') AS outcome,
    base.has_root = 1
        AND base.last_ingested_at <= now64(3) - toIntervalMillisecond(toInt64({quiet_seconds:Float64} * 1000)) AS complete,
    base.last_ingested_at AS last_ingested_at
FROM
(
    -- A child trajectory inherits the reward spans and evaluations of its root trajectory, which is in the same
    -- trace: a window over the root picks the root's own totals without joining the rewards a second time.
    SELECT
        *,
        anyIf(own.span_count, base.id = base.root_trajectory_id) OVER root_window AS root_span_count,
        anyIf(own.span_value, base.id = base.root_trajectory_id) OVER root_window AS root_span_value,
        anyIf(own.evaluation_count, base.id = base.root_trajectory_id) OVER root_window AS root_evaluation_count,
        anyIf(own.evaluation_value, base.id = base.root_trajectory_id) OVER root_window AS root_evaluation_value
    FROM base
    LEFT JOIN reward_totals AS own ON own.trajectory_id = base.id
    WINDOW root_window AS (PARTITION BY base.root_trajectory_id)
) AS base
LEFT JOIN turn_totals ON turn_totals.trajectory_id = base.id;
