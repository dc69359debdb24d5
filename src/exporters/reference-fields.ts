/**
 * Reference fields for reinforcement fine-tuning datasets (`ground_truth`, `reference_answer`, ...): the grader
 * reads them next to the prompt. Each field names its source in the trajectory; a trajectory whose source is
 * empty is skipped, never given a made-up reference. Names and sources are checked where they enter (the
 * command line, the jobs file): a field named `messages` or `tools` would replace the prompt or the tools.
 */
import type { Trajectory } from '../model/trajectory.ts';
import { finalAnswer } from './conversation.ts';

const sourceForms = 'final_answer, task, task_id, reward:<name> or tool:<name>';

export function referenceValue(trajectory: Trajectory, source: string): string | number | undefined {
  if (source === 'final_answer') return finalAnswer(trajectory);
  if (source === 'task') return trajectory.task || undefined;
  if (source === 'task_id') return trajectory.task_id || undefined;
  if (source.startsWith('reward:')) {
    const name = source.slice('reward:'.length);
    const reward = [...trajectory.rewards].reverse().find((candidate) => candidate.name === name);
    if (!reward) return undefined;
    return reward.comment !== '' ? reward.comment : reward.value;
  }
  if (source.startsWith('tool:')) {
    const name = source.slice('tool:'.length);
    for (let index = trajectory.turns.length - 1; index >= 0; index--) {
      const calls = trajectory.turns[index]?.tool_calls ?? [];
      for (let callIndex = calls.length - 1; callIndex >= 0; callIndex--) {
        const call = calls[callIndex];
        if (call && call.name === name && call.result !== null) return call.result;
      }
    }
    return undefined;
  }
  throw new Error(`unknown reference source ${JSON.stringify(source)} (use ${sourceForms})`);
}

/** Why `name` cannot name a reference field, or undefined when it can. */
export function referenceFieldNameProblem(name: string): string | undefined {
  if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(name))
    return `reference field name ${JSON.stringify(name)} is not letters, digits and _`;
  if (name === 'messages' || name === 'tools')
    return `reference field name ${JSON.stringify(name)} would replace the record's ${name}`;
  return undefined;
}

/** Why `source` is no reference source, or undefined when it is one. */
export function referenceSourceProblem(source: string): string | undefined {
  if (source === 'final_answer' || source === 'task' || source === 'task_id') return undefined;
  if (/^(reward|tool):.+$/.test(source)) return undefined;
  return `unknown reference source ${JSON.stringify(source)} (use ${sourceForms})`;
}

/** Parses `name=source,name=source` (command line) into a field map. */
export function parseReferenceFields(text: string): Record<string, string> {
  const fields: Record<string, string> = {};
  for (const item of text
    .split(',')
    .map((part) => part.trim())
    .filter(Boolean)) {
    const [name, source] = item.split('=', 2);
    if (!name || !source) throw new Error(`invalid reference field ${JSON.stringify(item)}: expected name=source`);
    const problem = referenceFieldNameProblem(name) ?? referenceSourceProblem(source);
    if (problem) throw new Error(`invalid reference field ${JSON.stringify(item)}: ${problem}`);
    fields[name] = source;
  }
  return fields;
}
