/**
 * Tool recommendation from the record (context learning, `tools`): for the trajectories of a task text (the most
 * similar ones), a task id or an agent, how each tool's calls went, how the runs that used it ended, the sequence it
 * usually sits in, ranked by a score that does not let a handful of lucky runs beat a long good record.
 */
import type { ClickHouseClient } from '@clickhouse/client';
import type { ToolRecord, ToolsRequest, ToolsResponse } from './context-api.ts';
import type { Trajectory } from '../model/trajectory.ts';
import type { SearchOptions } from '../trajectories/search.ts';
import { forEachSampledTrajectory, scopeOf, verdictOf } from './analysis-sample.ts';
import { distinctNgrams, endsWithAnswer, toolCallsOf } from './tool-sequences.ts';

/** The normal quantile of a two-sided 95% interval. */
const z95 = 1.959964;

/**
 * The lower bound of the Wilson score interval (95%) of `successes` in `trials`: the success rate the record
 * supports with confidence. It grows with evidence, so 45 of 50 (0.79) ranks above 1 of 1 (0.21); 0 without trials.
 */
export function wilsonLowerBound(successes: number, trials: number): number {
  if (trials === 0) return 0;
  const rate = successes / trials;
  const z2 = z95 * z95;
  const centre = rate + z2 / (2 * trials);
  const margin = z95 * Math.sqrt((rate * (1 - rate)) / trials + z2 / (4 * trials * trials));
  return Math.max(0, (centre - margin) / (1 + z2 / trials));
}

interface ToolTally {
  uses: number;
  answered: number;
  failedCalls: number;
  trajectories: number;
  succeeded: number;
  failed: number;
}

/** The final step of a run that ended by answering, so sequences show what a tool led to. */
const answerStep = 'answer';

class ToolTallies {
  readonly analyzed = { trajectories: 0, succeeded: 0 };
  readonly tools = new Map<string, ToolTally>();
  /** Runs containing each consecutive step sequence (tool names, then `answer`), by length 2 and 3. */
  readonly sequences = new Map<string, { steps: string[]; runs: number }>();

  add(trajectory: Trajectory): void {
    const verdict = verdictOf(trajectory);
    this.analyzed.trajectories += 1;
    if (verdict === 'succeeded') this.analyzed.succeeded += 1;
    const calls = toolCallsOf(trajectory);
    const usedHere = new Set<string>();
    for (const call of calls) {
      let tally = this.tools.get(call.name);
      if (!tally) {
        tally = { uses: 0, answered: 0, failedCalls: 0, trajectories: 0, succeeded: 0, failed: 0 };
        this.tools.set(call.name, tally);
      }
      tally.uses += 1;
      if (call.status !== 'missing') tally.answered += 1;
      if (call.status === 'error') tally.failedCalls += 1;
      if (usedHere.has(call.name)) continue;
      usedHere.add(call.name);
      tally.trajectories += 1;
      if (verdict === 'succeeded') tally.succeeded += 1;
      if (verdict === 'failed') tally.failed += 1;
    }
    const steps = calls.map((call) => call.name);
    if (endsWithAnswer(trajectory)) steps.push(answerStep);
    for (const [key, gram] of distinctNgrams(steps, 2, 3)) {
      const entry = this.sequences.get(key);
      if (entry) entry.runs += 1;
      else this.sequences.set(key, { steps: gram, runs: 1 });
    }
  }

  /** The 3-step sequence with the tool that most runs contain; a pair when none, the tool alone when neither. */
  typicalSequence(name: string): string[] {
    let best: { steps: string[]; runs: number } | undefined;
    for (const entry of this.sequences.values()) {
      if (!entry.steps.includes(name)) continue;
      const better =
        !best ||
        entry.steps.length > best.steps.length ||
        (entry.steps.length === best.steps.length && entry.runs > best.runs);
      if (better) best = entry;
    }
    return best?.steps ?? [name];
  }
}

function toRecord(name: string, tally: ToolTally, tallies: ToolTallies): ToolRecord {
  const known = tally.succeeded + tally.failed;
  return {
    name,
    uses: tally.uses,
    call_success_rate: tally.answered > 0 ? (tally.answered - tally.failedCalls) / tally.answered : 0,
    trajectories: tally.trajectories,
    trajectory_success_rate: known > 0 ? tally.succeeded / known : 0,
    typical_sequence: tallies.typicalSequence(name),
    // The Wilson lower bound of the success rate of the runs that used the tool (unknown outcomes left out).
    score: wilsonLowerBound(tally.succeeded, known),
  };
}

const percent = (rate: number) => `${Math.round(100 * rate)}%`;
const count = (value: number, noun: string) => `${value} ${noun}${value === 1 ? '' : 's'}`;

function describe(response: Omit<ToolsResponse, 'text'>): string {
  const { trajectories, succeeded } = response.analyzed;
  const over = {
    task: 'similar trajectories',
    task_id: 'trajectories of the task',
    agent: 'trajectories of the agent',
  };
  if (trajectories === 0) return `No ${over[response.scope]} matched, so there is no tool record to report.`;
  if (response.tools.length === 0) return `${trajectories} ${over[response.scope]} analysed; none called a tool.`;
  const lines = [`Tools ranked by record over ${trajectories} ${over[response.scope]} (${succeeded} succeeded):`];
  response.tools.forEach((tool, index) =>
    lines.push(
      `${index + 1}. \`${tool.name}\`: ${count(tool.uses, 'call')} in ${count(tool.trajectories, 'run')}, ` +
        `${percent(tool.call_success_rate)} of calls ok, ${percent(tool.trajectory_success_rate)} of its runs ` +
        `succeeded (score ${tool.score.toFixed(2)}); typically ${tool.typical_sequence.join(' -> ')}.`,
    ),
  );
  return lines.join('\n');
}

export async function recommendTools(
  client: ClickHouseClient,
  tenant: string,
  request: ToolsRequest,
  options: SearchOptions = {},
): Promise<ToolsResponse> {
  const tallies = new ToolTallies();
  await forEachSampledTrajectory(client, tenant, request, options, (trajectory) => tallies.add(trajectory));
  const tools = [...tallies.tools]
    .map(([name, tally]) => toRecord(name, tally, tallies))
    .sort((a, b) => b.score - a.score || b.call_success_rate - a.call_success_rate || b.uses - a.uses)
    .slice(0, request.limit);
  const response = { scope: scopeOf(request), analyzed: { ...tallies.analyzed }, tools };
  return { ...response, text: describe(response) };
}
