/**
 * Reference fields for reinforcement fine-tuning datasets (`ground_truth`, `reference_answer`, ...): the grader
 * reads them next to the prompt. Each field names its source in the trajectory; a trajectory whose source is
 * empty is skipped, never given a made-up reference.
 */
import type { Trajectory } from '../model/trajectory.ts';
import { finalAnswer } from './conversation.ts';

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
  throw new Error(`unknown reference source ${JSON.stringify(source)} (use final_answer, task, task_id, reward:<name> or tool:<name>)`);
}

/** Parses `name=source,name=source` (command line) into a field map. */
export function parseReferenceFields(text: string): Record<string, string> {
  const fields: Record<string, string> = {};
  for (const item of text.split(',').map((part) => part.trim()).filter(Boolean)) {
    const [name, source] = item.split('=', 2);
    if (!name || !source || !/^[A-Za-z_][A-Za-z0-9_]*$/.test(name) || name === 'messages' || name === 'tools') {
      throw new Error(`invalid reference field ${JSON.stringify(item)}: expected name=source, name not messages/tools`);
    }
    fields[name] = source;
  }
  return fields;
}
