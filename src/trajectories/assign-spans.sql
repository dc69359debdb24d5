-- The `trajectory_spans` view. Its TypeScript twin is assign-spans.ts (the same rules, for the API's read path;
-- test/trajectories/views-agree.test.ts keeps the two agreeing). Re-applied on every start (src/store/derived-definitions.ts).
--
-- The trajectory views: parameterized views over `spans`, `events`, `feedback` and `air_rules`. Every view takes
-- the tenant and the trace ids to assemble (`trace_ids=[]` means every trace of the tenant: fine for ad-hoc
-- analytics, never used by the API), so answering for one trajectory reads only its trace's rows through the
-- (tenant, trace_id) sort key. Users query them directly:
--   SELECT * FROM trajectories(tenant='default', trace_ids=['<trace id>'], quiet_seconds=60);
-- docs/trajectories.md documents the columns and the rules these views implement.

-- Every span of the given traces with the trajectory it belongs to. A span belongs to its nearest `agent` span
-- (itself when it is one), so nested agents form child trajectories and each span is in exactly one trajectory.
-- Spans outside every agent subtree (a wrapping HTTP span, a reward span emitted beside the agent) join the
-- trace's first outermost agent; a trace without agent spans is one trajectory, or part of the conversation the
-- stitcher put it in (trace_stitches, stitch-conversations.ts). Agent Lightning rollout/attempt
-- ids override the structure: the whole rollout is one trajectory. The ancestor walk uses only spans already
-- stored, so a child that arrives before its parent is re-assigned on the next read once the parent is in.
CREATE OR REPLACE VIEW trajectory_spans {{on_cluster}} AS
SELECT
    * EXCEPT (trace_span_ids, trace_parent_ids, trace_kinds, ancestors, agent_ancestors, first_outer_agent,
              trace_rollout_id, trace_attempt_id, own_rollout_id, own_attempt_id, trajectory_agent,
              stitched_trajectory_id),
    multiIf(own_rollout_id != '',
                concat('al-', replaceAll(encodeURLComponent(own_rollout_id), '.', '%2E'),
                       if(own_attempt_id != '', concat('.', replaceAll(encodeURLComponent(own_attempt_id), '.', '%2E')), '')),
            trajectory_agent != '', concat(trace_id, '-', trajectory_agent),
            if(stitched_trajectory_id != '', stitched_trajectory_id, trace_id)) AS trajectory_id,
    if(own_rollout_id = '' AND length(agent_ancestors) >= 2, concat(trace_id, '-', agent_ancestors[2]), '') AS parent_trajectory_id,
    multiIf(own_rollout_id != '', trajectory_id,
            length(agent_ancestors) > 0, concat(trace_id, '-', agent_ancestors[-1]),
            trajectory_id) AS root_trajectory_id,
    -- The agent span that roots the trajectory; '' for whole-trace and Agent Lightning trajectories, whose root
    -- is their parentless span.
    if(own_rollout_id = '', trajectory_agent, '') AS trajectory_agent_span_id,
    multiIf(trace_rollout_id != '',
                concat('al-', replaceAll(encodeURLComponent(trace_rollout_id), '.', '%2E'),
                       if(trace_attempt_id != '', concat('.', replaceAll(encodeURLComponent(trace_attempt_id), '.', '%2E')), '')),
            first_outer_agent != '', concat(trace_id, '-', first_outer_agent),
            if(stitched_trajectory_id != '', stitched_trajectory_id, trace_id)) AS trace_default_trajectory_id
FROM
(
    SELECT
        *,
        argMinIf(span_id, (start_time_unix_nano, span_id), kind = 'agent' AND length(agent_ancestors) = 1)
            OVER (PARTITION BY tenant, trace_id) AS first_outer_agent,
        if(rollout_id != '', rollout_id, trace_rollout_id) AS own_rollout_id,
        if(rollout_id != '', attempt_id, trace_attempt_id) AS own_attempt_id,
        if(length(agent_ancestors) > 0, agent_ancestors[1], first_outer_agent) AS trajectory_agent
    FROM
    (
        SELECT
            *,
            -- Self, parent, grandparent, ... as far as stored spans go; capped at 64 levels so that a parent
            -- cycle from a buggy emitter cannot loop.
            arrayFold((chain, step) -> if(
                    mapContains(parent_of, chain[-1]) AND parent_of[chain[-1]] != ''
                        AND mapContains(parent_of, parent_of[chain[-1]]) AND NOT has(chain, parent_of[chain[-1]]),
                    arrayPushBack(chain, parent_of[chain[-1]]), chain),
                range(64), [span_id]) AS ancestors,
            arrayFilter(ancestor -> kind_of[ancestor] = 'agent', ancestors) AS agent_ancestors
        FROM
        (
            SELECT
                tenant, trace_id, span_id, parent_span_id, name, kind, status, status_message,
                start_time_unix_nano, end_time_unix_nano, ingested_at, operation, provider, model, finish_reasons,
                input_tokens, output_tokens, input_messages, output_messages, tool_definitions,
                tool_name, tool_call_id, tool_arguments, tool_result, agent_name, agent_id, conversation_id,
                task_id, task, first_user_text, rollout_id, attempt_id, rewards, events,
                groupArray(span_id) OVER trace AS trace_span_ids,
                groupArray(parent_span_id) OVER trace AS trace_parent_ids,
                groupArray(kind) OVER trace AS trace_kinds,
                mapFromArrays(trace_span_ids, trace_parent_ids) AS parent_of,
                mapFromArrays(trace_span_ids, trace_kinds) AS kind_of,
                max(rollout_id) OVER trace AS trace_rollout_id,
                max(attempt_id) OVER trace AS trace_attempt_id
            FROM resolved_spans(tenant = {tenant:String}, trace_ids = {trace_ids:Array(String)})
            WINDOW trace AS (PARTITION BY tenant, trace_id)
        ) AS traced
        -- The conversation the stitcher put an agent-less trace in (trace_stitches; the latest decision wins).
        LEFT JOIN
        (
            SELECT trace_id, argMax(trajectory_id, decided_at) AS stitched_trajectory_id
            FROM trace_stitches
            WHERE tenant = {tenant:String}
              AND (empty({trace_ids:Array(String)}) OR has({trace_ids:Array(String)}, trace_id))
            GROUP BY trace_id
        ) AS stitched USING (trace_id)
    )
);
