/**
 * Every reward of a set of traces with its source, the rules of the `rewards` view: reward spans (Agent
 * Lightning annotations; dimension 0 is the primary reward), `gen_ai.evaluation.result` span events and log
 * records (a record whose span is unknown joins the trace's default trajectory; records of a trace with no
 * stored span are dropped, as the view's inner join does), and feedback posted to the API.
 */
import type { RewardSource } from '../model/trajectory.ts';
import type { AssemblySpan, EvaluationRecord, FeedbackRecord } from './assembly-input.ts';
import type { TraceAssignment } from './assign-spans.ts';
import { field, jsonFloat, jsonString, uint64OrZero } from './clickhouse-json.ts';

export interface RewardEntry {
  trajectory_id: string;
  /** '' for feedback, as in the view. */
  root_trajectory_id: string;
  name: string;
  value: number;
  source: RewardSource;
  comment: string;
  span_id: string;
  time: bigint;
  dimension: number;
}

const evaluationEvent = 'gen_ai.evaluation.result';
const scoreAttribute = 'gen_ai.evaluation.score.value';

export function collectRewards(
  spans: readonly AssemblySpan[],
  assignments: ReadonlyMap<string, TraceAssignment>,
  evaluations: readonly EvaluationRecord[],
  feedback: readonly FeedbackRecord[],
): RewardEntry[] {
  const rewards: RewardEntry[] = [];
  for (const span of spans) {
    const assigned = assignments.get(span.trace_id)?.spans.get(span.span_id);
    if (!assigned) continue;
    const base = {
      trajectory_id: assigned.trajectory_id,
      root_trajectory_id: assigned.root_trajectory_id,
      span_id: span.span_id,
    };
    if (span.kind === 'reward') {
      span.rewards.forEach((reward, position) =>
        rewards.push({
          ...base,
          name: reward.name,
          value: reward.value,
          source: 'span',
          comment: '',
          time: span.end,
          dimension: position,
        }),
      );
    }
    for (const event of span.events) {
      const attributes = field(event, 'attributes');
      if (jsonString(field(event, 'name')) !== evaluationEvent) continue;
      if (typeof attributes !== 'object' || attributes === null || !(scoreAttribute in attributes)) continue;
      rewards.push({
        ...base,
        name: jsonString(field(attributes, 'gen_ai.evaluation.name')),
        value: jsonFloat(field(attributes, scoreAttribute)),
        source: 'evaluation',
        comment: jsonString(field(attributes, 'gen_ai.evaluation.explanation')),
        time: uint64OrZero(jsonString(field(event, 'time_unix_nano'))),
        dimension: 0,
      });
    }
  }
  for (const evaluation of evaluations) {
    const trace = assignments.get(evaluation.trace_id);
    if (!trace) continue;
    const assigned = trace.spans.get(evaluation.span_id);
    rewards.push({
      trajectory_id: assigned?.trajectory_id ?? trace.default_trajectory_id,
      root_trajectory_id: assigned?.root_trajectory_id ?? trace.default_trajectory_id,
      name: evaluation.name,
      value: evaluation.value,
      source: 'evaluation',
      comment: evaluation.comment,
      span_id: evaluation.span_id,
      time: evaluation.time,
      dimension: 0,
    });
  }
  for (const entry of feedback) {
    rewards.push({
      trajectory_id: entry.trajectory_id,
      root_trajectory_id: '',
      name: entry.name,
      value: entry.value,
      source: 'feedback',
      comment: entry.comment,
      span_id: '',
      time: entry.time,
      dimension: 0,
    });
  }
  return rewards;
}

/** The API's order of a trajectory's rewards: time, then source, then name. */
export function compareRewards(a: RewardEntry, b: RewardEntry): number {
  if (a.time !== b.time) return a.time < b.time ? -1 : 1;
  if (a.source !== b.source) return a.source < b.source ? -1 : 1;
  return a.name < b.name ? -1 : a.name > b.name ? 1 : 0;
}
