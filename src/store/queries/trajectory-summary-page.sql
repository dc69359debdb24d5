-- One page of GET /v1/trajectories from `trajectory_summaries`, every filter bound (an empty string / NULL disables
-- it). `complete` depends on the current time, so it is computed here rather than stored; a whole-trace trajectory
-- (32 hex id: no agent span, so a later call may still be stitched into it) waits open_quiet_seconds = max(quiet,
-- stitch window) instead.
-- Order and keyset (src/trajectories/list-order.ts): ORDER BY (sort_key, start_rank, id) DESC; the next page holds
-- the tuples below the cursor's. With sort = 'start_time' sort_key is the constant 0 and start_rank is start_ns
-- (bitNot of it for 'asc': the exact UInt64 reversal, where a Float64 key would round nanosecond starts), so the
-- default order is exactly the one before sorting existed and reads only (start_ns, id) besides the page. For
-- another column sort_key is the value, negated for 'asc' (0 - x, so no -0), and -inf where it is NULL (a trajectory
-- without a reward): NULLs come last both ways and ties stay newest first; that reads the column for the tenant's
-- summaries too. The caller passes the cursor's key as its Float64 bits (cursor_key_bits), so it compares exactly
-- whatever float parser the server has.
-- Annotations (trajectory_annotations: tags, an outcome override, human_reviewed, a note) join the page: the outcome
-- shown and filtered on is the override when there is one. Without an outcome or annotation filter the inner query
-- stops at the page (inner_limit = limit); with one it cannot know which rows pass, so it does not stop early. The
-- outer query orders by the same key as the inner one, so either way the page is the first `limit` rows in order.
SELECT
    page.* EXCEPT (outcome, start_ns, sort_value, start_rank),
    if(notes.annotated AND notes.outcome != '', notes.outcome, page.outcome) AS outcome,
    notes.annotated AS annotated,
    notes.tags AS annotation_tags,
    notes.outcome AS annotation_outcome,
    notes.human_reviewed AS annotation_human_reviewed,
    notes.note AS annotation_note,
    notes.updated_ms AS annotation_updated_ms
FROM
(
SELECT
    id, tenant, trace_id, root_span_id, parent_trajectory_id, agent_name, agent_id, task, task_id, conversation_id,
    rollout_id, attempt_id, toString(start_ns) AS start_time_unix_nano, toString(end_ns) AS end_time_unix_nano,
    duration_ms, turn_count, tool_call_count, error_count, input_tokens, output_tokens, final_reward,
    final_reward_source, outcome, start_ns,
    has_root = 1 AND last_ingested_ms <= toUnixTimestamp64Milli(now64(3)) - toInt64(if(match(id, '^[0-9a-f]{32}$'), {open_quiet_seconds:Float64}, {quiet_seconds:Float64}) * 1000) AS complete,
    root_trajectory_id,
    -- Nested if, not multiIf: ClickHouse replaces an if with a constant condition by its branch, so only the
    -- sorted column is read (multiIf keeps every branch, and every column).
    if({sort:String} = 'duration_ms', duration_ms,
    if({sort:String} = 'final_reward', final_reward,
    if({sort:String} = 'turn_count', toFloat64(turn_count),
    if({sort:String} = 'tool_call_count', toFloat64(tool_call_count),
    if({sort:String} = 'error_count', toFloat64(error_count),
    if({sort:String} = 'total_tokens', toFloat64(input_tokens + output_tokens),
       CAST(NULL AS Nullable(Float64)))))))) AS sort_value,
    if({sort:String} = 'start_time', 0, ifNull(if({order:String} = 'asc', 0 - sort_value, sort_value), -inf)) AS sort_key,
    if({sort:String} = 'start_time' AND {order:String} = 'asc', bitNot(start_ns), start_ns) AS start_rank
FROM trajectory_summaries FINAL
-- The tenant and trace filters are a PREWHERE: FINAL keeps ClickHouse from moving them there, and both are the same
-- in every version of a summary (docs/decisions/2026-12-03-prewhere-under-final.md). The rest can differ, so it
-- filters after FINAL has chosen the latest version.
PREWHERE tenant = {tenant:String}
  AND ({trace_ids:Array(String)} = [] OR trace_id IN {trace_ids:Array(String)})
WHERE ({trace_id:String} = '' OR trace_id = {trace_id:String})
  AND start_ns >= {since:UInt64} AND start_ns <= {until:UInt64}
  AND ({agent:String} = '' OR agent_name = {agent:String})
  AND ({task:String} = '' OR task_id = {task:String} OR task = {task:String})
  AND ({min_reward:Nullable(Float64)} IS NULL OR final_reward >= {min_reward:Nullable(Float64)})
  AND ({max_reward:Nullable(Float64)} IS NULL OR final_reward <= {max_reward:Nullable(Float64)})
  AND ({complete:Nullable(Bool)} IS NULL
       OR (has_root = 1 AND last_ingested_ms <= toUnixTimestamp64Milli(now64(3)) - toInt64(if(match(id, '^[0-9a-f]{32}$'), {open_quiet_seconds:Float64}, {quiet_seconds:Float64}) * 1000))
          = {complete:Nullable(Bool)})
  AND (NOT {after_cursor:Bool}
       OR (sort_key, start_rank, id) < (reinterpretAsFloat64({cursor_key_bits:UInt64}),
                                        if({sort:String} = 'start_time' AND {order:String} = 'asc', bitNot({cursor_start:UInt64}), {cursor_start:UInt64}),
                                        {cursor_id:String}))
ORDER BY sort_key DESC, start_rank DESC, id DESC
LIMIT {inner_limit:UInt64}
) AS page
LEFT JOIN
(
    SELECT trajectory_id, 1 AS annotated, tags, outcome, human_reviewed, note, updated_ms
    FROM trajectory_annotations FINAL
    WHERE tenant = {tenant:String}
) AS notes ON page.id = notes.trajectory_id
WHERE ({outcome:String} = '' OR outcome = {outcome:String})
  AND ({tag:String} = '' OR has(notes.tags, {tag:String}))
  AND ({human_reviewed:Nullable(Bool)} IS NULL OR (notes.annotated AND notes.human_reviewed = 1) = {human_reviewed:Nullable(Bool)})
ORDER BY page.sort_key DESC, page.start_rank DESC, page.id DESC
LIMIT {limit:UInt32}
