-- One page of GET /v1/trajectories from `trajectory_summaries`, newest first, every filter bound (an empty
-- string / NULL disables it). Keyset: strictly before the cursor's (start_ns, id). `complete` depends on the
-- current time, so it is computed here rather than stored; a whole-trace trajectory (32 hex id: no agent span, so a
-- later call may still be stitched into it) waits open_quiet_seconds = max(quiet, stitch window) instead.
-- Annotations (trajectory_annotations: tags, an outcome override, human_reviewed, a note) join the page: the outcome
-- shown and filtered on is the override when there is one. Without an outcome or annotation filter the inner query
-- stops at the page (inner_limit = limit); with one it cannot know which rows pass, so it does not stop early.
SELECT
    page.* EXCEPT (outcome, start_ns),
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
    root_trajectory_id
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
  AND (NOT {after_cursor:Bool} OR (start_ns, id) < ({cursor_start:UInt64}, {cursor_id:String}))
ORDER BY start_ns DESC, id DESC
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
ORDER BY page.start_ns DESC, page.id DESC
LIMIT {limit:UInt32}
