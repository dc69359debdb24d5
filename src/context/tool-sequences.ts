/**
 * What a trajectory did, step by step, as the failure and tool analyses read it: its tool calls in order, how its
 * run ended, and the consecutive n-grams of its steps. Tool statuses are the assembled ones (src/model/trajectory.ts):
 * only `error` is a failed call, `missing` is a call nothing answered.
 */
import type { ToolExecution, Trajectory } from '../model/trajectory.ts';

/** Every tool call of the trajectory, turn by turn, in call order. */
export function toolCallsOf(trajectory: Trajectory): ToolExecution[] {
  return trajectory.turns.flatMap((turn) => turn.tool_calls);
}

/**
 * What the run did last: the last tool it called (`error:<tool>` when that call failed) when its last turn called
 * tools, `answer` when the last turn answered, `model_error` when the last model call produced nothing, `none`
 * without turns.
 */
export function lastActionOf(trajectory: Trajectory): string {
  const last = trajectory.turns[trajectory.turns.length - 1];
  if (!last) return 'none';
  const lastCall = last.tool_calls[last.tool_calls.length - 1];
  if (lastCall) return lastCall.status === 'error' ? `error:${lastCall.name}` : lastCall.name;
  return last.output_message ? 'answer' : 'model_error';
}

/**
 * The run's last tool call, `error:<tool>` when it failed, whichever turn made it; null for a run without tool
 * calls. A run that gives up usually answers last (an apology), so this is what it gave up after.
 */
export function lastToolCallOf(trajectory: Trajectory): string | null {
  const calls = toolCallsOf(trajectory);
  const lastCall = calls[calls.length - 1];
  if (!lastCall) return null;
  return lastCall.status === 'error' ? `error:${lastCall.name}` : lastCall.name;
}

/** True when the run ended with the model answering (its last turn called no tool and produced a message). */
export function endsWithAnswer(trajectory: Trajectory): boolean {
  return lastActionOf(trajectory) === 'answer';
}

/** Distinct consecutive n-grams of `steps` for n in [minLength, maxLength], keyed by their steps joined. */
export function distinctNgrams(steps: readonly string[], minLength: number, maxLength: number): Map<string, string[]> {
  const grams = new Map<string, string[]>();
  for (let length = minLength; length <= maxLength; length++) {
    for (let start = 0; start + length <= steps.length; start++) {
      const gram = steps.slice(start, start + length);
      grams.set(ngramKey(gram), gram);
    }
  }
  return grams;
}

/** A separator no tool name contains in practice, so keys of different sequences cannot collide. */
export function ngramKey(steps: readonly string[]): string {
  return steps.join('\u0000');
}

/** Appends `id` to a bounded list of example ids. */
export function addExample(examples: string[], id: string, max = 5): void {
  if (examples.length < max && !examples.includes(id)) examples.push(id);
}
