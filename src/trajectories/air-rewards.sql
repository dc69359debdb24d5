-- The `air_rewards` view. Its TypeScript twin is air-rewards.ts; re-applied on every start.
--
-- AIR intermediate rewards, one row per rule that fired: the LLM call's own failure and each tool execution of
-- the turn, valued by the `air_rules` table.
CREATE OR REPLACE VIEW air_rewards {{on_cluster}} AS
SELECT tenant, trace_id, trajectory_id, index AS turn_index, span_id AS turn_span_id,
       fired.1 AS rule, fired.2 AS reward, fired.3 AS reward_span_id, fired.4 AS call_id
FROM turns(tenant = {tenant:String}, trace_ids = {trace_ids:Array(String)})
ARRAY JOIN arrayConcat(
    if(status = 'error', [('llm_failed', llm_air_reward, turns.span_id, '')], []),
    arrayMap(execution -> (execution.air_rule, execution.air_reward, execution.span_id, execution.call_id), tool_calls)
) AS fired;
