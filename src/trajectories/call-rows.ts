/**
 * The `trajectory_calls` rows of assembled trajectories: one per model call (`llm` span) and per tool execution
 * (`tool` span), under the trajectory assembly put it in, with that trajectory's agent, task and start copied
 * in so the analytics views (src/analytics/model-calls.sql, tool-calls.sql) filter and bucket without a join.
 * The summarizer writes them in the same pass as the trajectory summaries, with the same version.
 */
import type { AssembledTrajectory } from './assemble-trajectory.ts';

export type CallRow = Record<string, string | number | null>;

export function toCallRows(tenant: string, trajectory: AssembledTrajectory, version: bigint): CallRow[] {
  const { summary } = trajectory;
  const rows: CallRow[] = [];
  for (const span of trajectory.spans) {
    if (span.kind !== 'llm' && span.kind !== 'tool') continue;
    rows.push({
      tenant,
      start_ns: span.start_time_unix_nano,
      trace_id: span.trace_id,
      span_id: span.span_id,
      trajectory_id: summary.id,
      trajectory_start_ns: trajectory.start_ns.toString(),
      agent_name: summary.agent_name,
      task_id: summary.task_id,
      task: summary.task,
      kind: span.kind,
      duration_ns: (span.end > span.start ? span.end - span.start : 0n).toString(),
      status: span.status,
      error_type: span.error_type,
      provider: span.provider,
      model: span.model,
      tool_name: span.tool_name,
      input_tokens: span.input_tokens,
      output_tokens: span.output_tokens,
      cache_read_tokens: span.cache_read_tokens,
      cache_creation_tokens: span.cache_creation_tokens,
      reasoning_tokens: span.reasoning_tokens,
      version: version.toString(),
    });
  }
  return rows;
}
