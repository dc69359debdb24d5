/**
 * Recurring failure modes of an agent or task (context learning, `failures`): which tools fail and with which
 * errors, where failed runs stop, and which tool sequences precede failure more often than success. Computed over
 * the assembled trajectories of the sample (analysis-sample.ts) in one pass, so the tool-status rules are the
 * proven ones of the trajectory assembly.
 */
import type { ClickHouseClient } from '@clickhouse/client';
import type { FailuresRequest, FailuresResponse } from './context-api.ts';
import type { Trajectory } from '../model/trajectory.ts';
import type { SearchOptions } from '../trajectories/search.ts';
import { forEachSampledTrajectory, verdictOf, type Verdict } from './analysis-sample.ts';
import { addExample, distinctNgrams, lastActionOf, lastToolCallOf, ngramKey, toolCallsOf } from './tool-sequences.ts';

/**
 * A sequence ranks only when at least this many trajectories of known outcome contain it: below that a failure
 * rate is one or two runs' noise (1 of 1 would otherwise top every list).
 */
export const minSequenceSupport = 3;
const sequenceLengths = { min: 2, max: 3 };
const maxErrorTextLength = 120;

const uuidPattern = /\b[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}\b/gi;
const hexIdPattern = /\b(?:0x[0-9a-f]+|(?=[0-9a-f]*\d)(?=[0-9a-f]*[a-f])[0-9a-f]{8,})\b/gi;
const quotedPathPattern = /(["'`])[^"'`\n]*[/\\][^"'`\n]*\1/g;
const numberPattern = /\d+(?:\.\d+)*/g;

/**
 * The error text with what differs between occurrences of one failure blanked (uuids and hex ids as `<id>`, quoted
 * paths as `<path>`, numbers as `N`), whitespace collapsed and cut short, so the same failure groups together.
 */
export function normaliseErrorText(text: string): string {
  const normalised = text
    .replace(uuidPattern, '<id>')
    .replace(hexIdPattern, '<id>')
    .replace(quotedPathPattern, '<path>')
    .replace(numberPattern, 'N')
    .replace(/\s+/g, ' ')
    .trim();
  if (normalised === '') return '(no error text)';
  return normalised.length > maxErrorTextLength ? `${normalised.slice(0, maxErrorTextLength - 1)}…` : normalised;
}

interface ToolErrorTally {
  tool: string;
  error: string;
  count: number;
  trajectories: number;
  failed: number;
  examples: string[];
  failedExamples: string[];
}

interface GiveUpTally {
  turn: number;
  lastAction: string;
  lastToolCall: string | null;
  count: number;
  examples: string[];
}

interface SequenceTally {
  sequence: string[];
  failed: number;
  succeeded: number;
  examples: string[];
}

/** The running totals of one analysis; `add` takes one trajectory at a time. */
class FailureTally {
  readonly analyzed = { trajectories: 0, failed: 0, succeeded: 0 };
  readonly toolErrors = new Map<string, ToolErrorTally>();
  readonly giveUps = new Map<string, GiveUpTally>();
  readonly sequences = new Map<string, SequenceTally>();

  constructor(private readonly maxReward: number | undefined) {}

  add(trajectory: Trajectory): void {
    const verdict = verdictOf(trajectory, this.maxReward);
    this.analyzed.trajectories += 1;
    if (verdict === 'failed') this.analyzed.failed += 1;
    if (verdict === 'succeeded') this.analyzed.succeeded += 1;
    this.addToolErrors(trajectory, verdict);
    if (verdict === 'failed') this.addGiveUp(trajectory);
    if (verdict !== 'unknown') this.addSequences(trajectory, verdict);
  }

  private addToolErrors(trajectory: Trajectory, verdict: Verdict): void {
    const seenHere = new Set<string>();
    for (const call of toolCallsOf(trajectory)) {
      if (call.status !== 'error') continue;
      const error = normaliseErrorText(call.result ?? '');
      const key = ngramKey([call.name, error]);
      let tally = this.toolErrors.get(key);
      if (!tally) {
        tally = { tool: call.name, error, count: 0, trajectories: 0, failed: 0, examples: [], failedExamples: [] };
        this.toolErrors.set(key, tally);
      }
      tally.count += 1;
      if (seenHere.has(key)) continue;
      seenHere.add(key);
      tally.trajectories += 1;
      addExample(tally.examples, trajectory.id);
      if (verdict === 'failed') {
        tally.failed += 1;
        addExample(tally.failedExamples, trajectory.id);
      }
    }
  }

  private addGiveUp(trajectory: Trajectory): void {
    // The last turn's own index (0-based, as in `Trajectory.turns` and `credit`), so ids and turns can be looked up;
    // the text says it as a count of turns.
    const turn = trajectory.turns[trajectory.turns.length - 1]?.index ?? -1;
    const lastAction = lastActionOf(trajectory);
    const lastToolCall = lastToolCallOf(trajectory);
    const key = `${turn}\u0000${lastAction}\u0000${lastToolCall ?? ''}`;
    let tally = this.giveUps.get(key);
    if (!tally) this.giveUps.set(key, (tally = { turn, lastAction, lastToolCall, count: 0, examples: [] }));
    tally.count += 1;
    addExample(tally.examples, trajectory.id);
  }

  private addSequences(trajectory: Trajectory, verdict: 'failed' | 'succeeded'): void {
    const names = toolCallsOf(trajectory).map((call) => call.name);
    for (const [key, sequence] of distinctNgrams(names, sequenceLengths.min, sequenceLengths.max)) {
      let tally = this.sequences.get(key);
      if (!tally) this.sequences.set(key, (tally = { sequence, failed: 0, succeeded: 0, examples: [] }));
      tally[verdict] += 1;
      if (verdict === 'failed') addExample(tally.examples, trajectory.id);
    }
  }
}

function toolErrorsOf(tally: FailureTally, limit: number): FailuresResponse['tool_errors'] {
  return [...tally.toolErrors.values()]
    .sort((a, b) => b.failed - a.failed || b.count - a.count || a.tool.localeCompare(b.tool))
    .slice(0, limit)
    .map((entry) => ({
      tool: entry.tool,
      error: entry.error,
      count: entry.count,
      trajectories: entry.trajectories,
      failed_trajectories: entry.failed,
      // Failed runs are the ones worth reading; others only when no failed run had the error.
      example_trajectory_ids: entry.failedExamples.length > 0 ? entry.failedExamples : entry.examples,
    }));
}

function giveUpPointsOf(tally: FailureTally, limit: number): FailuresResponse['give_up_points'] {
  return [...tally.giveUps.values()]
    .sort((a, b) => b.count - a.count || a.turn - b.turn || a.lastAction.localeCompare(b.lastAction))
    .slice(0, limit)
    .map((entry) => ({
      turn: entry.turn,
      last_action: entry.lastAction,
      last_tool_call: entry.lastToolCall,
      count: entry.count,
      example_trajectory_ids: entry.examples,
    }));
}

/**
 * Sequences with at least `minSequenceSupport` runs of known outcome whose failure rate is above the sample's own
 * (they make failure likelier); all supported ones when the sample has no successful run to compare with. Ranked by
 * failure rate, then support. A pair is dropped when a triple containing it has the same counts: it says nothing
 * the triple does not.
 */
function sequencesOf(tally: FailureTally, limit: number): FailuresResponse['sequences'] {
  const { failed, succeeded } = tally.analyzed;
  const baseline = failed + succeeded > 0 ? failed / (failed + succeeded) : 0;
  const supported = [...tally.sequences.values()].filter((entry) => {
    const support = entry.failed + entry.succeeded;
    return support >= minSequenceSupport && (succeeded === 0 || entry.failed / support > baseline);
  });
  const triples = supported.filter((entry) => entry.sequence.length === 3);
  const redundant = (entry: SequenceTally) =>
    entry.sequence.length === 2 &&
    triples.some(
      (triple) =>
        triple.failed === entry.failed &&
        triple.succeeded === entry.succeeded &&
        (ngramKey(triple.sequence.slice(0, 2)) === ngramKey(entry.sequence) ||
          ngramKey(triple.sequence.slice(1)) === ngramKey(entry.sequence)),
    );
  const rate = (entry: SequenceTally) => entry.failed / (entry.failed + entry.succeeded);
  return supported
    .filter((entry) => !redundant(entry))
    .sort(
      (a, b) =>
        rate(b) - rate(a) ||
        b.failed + b.succeeded - (a.failed + a.succeeded) ||
        ngramKey(a.sequence).localeCompare(ngramKey(b.sequence)),
    )
    .slice(0, limit)
    .map((entry) => ({
      sequence: entry.sequence,
      failed: entry.failed,
      succeeded: entry.succeeded,
      failure_rate: rate(entry),
      example_trajectory_ids: entry.examples,
    }));
}

const percent = (part: number, whole: number) => `${Math.round((100 * part) / Math.max(1, whole))}%`;

function describe(response: Omit<FailuresResponse, 'text'>): string {
  const { trajectories, failed, succeeded } = response.analyzed;
  if (trajectories === 0) return 'No trajectories matched, so there are no failure patterns to report.';
  const lines = [`Analyzed ${trajectories} trajectories: ${failed} failed, ${succeeded} succeeded.`];
  if (response.tool_errors.length > 0) {
    lines.push('Tool errors:');
    for (const entry of response.tool_errors)
      lines.push(
        `- \`${entry.tool}\` fails with \`${entry.error}\` ` +
          (entry.failed_trajectories > 0
            ? `in ${entry.failed_trajectories} of ${failed} failed runs (${entry.count} calls, ${entry.trajectories} runs in all).`
            : `in ${entry.trajectories} runs, none of which failed (${entry.count} calls).`),
      );
  }
  if (response.give_up_points.length > 0) {
    lines.push('Where failed runs stop:');
    for (const entry of response.give_up_points)
      lines.push(
        `- ${entry.count} of ${failed} end after ${entry.turn + 1} turns, last action \`${entry.last_action}\`` +
          (entry.last_tool_call && entry.last_tool_call !== entry.last_action
            ? `, after tool call \`${entry.last_tool_call}\`.`
            : '.'),
      );
  }
  if (response.sequences.length > 0) {
    lines.push('Tool sequences that precede failure:');
    for (const entry of response.sequences)
      lines.push(
        `- \`${entry.sequence.join(' -> ')}\` in ${entry.failed} failed and ${entry.succeeded} successful runs` +
          ` (${percent(entry.failed, entry.failed + entry.succeeded)} fail).`,
      );
  }
  return lines.join('\n');
}

export async function analyzeFailures(
  client: ClickHouseClient,
  tenant: string,
  request: FailuresRequest,
  options: SearchOptions = {},
): Promise<FailuresResponse> {
  const tally = new FailureTally(request.max_reward);
  await forEachSampledTrajectory(client, tenant, request, options, (trajectory) => tally.add(trajectory));
  const response = {
    analyzed: { ...tally.analyzed },
    tool_errors: toolErrorsOf(tally, request.limit),
    give_up_points: giveUpPointsOf(tally, request.limit),
    sequences: sequencesOf(tally, request.limit),
  };
  return { ...response, text: describe(response) };
}
