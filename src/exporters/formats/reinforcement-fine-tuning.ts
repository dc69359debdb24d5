/**
 * Shared builder of reinforcement fine-tuning rows (`openai-rft`, `fireworks`): one row per task with the task's
 * prompt (the first call's input up to its last user message, so the row ends with a user message as RFT
 * requires), the tools offered, and reference fields for the grader. The task's highest-reward trajectory
 * supplies the reference values. The task's other rewarded trajectories are consumed by that row, not skipped:
 * a job marks them exported, so a later run cannot export the task again from a worse reference answer.
 */
import { z } from 'zod';
import type { Trajectory } from '../../model/trajectory.ts';
import { groupByTask, taskPrompt } from '../conversation.ts';
import type { FormatOptions, FormatResult, SkippedTrajectory } from '../export-format.ts';
import { openAIMessageSchema, SkipTrajectory, toOpenAIMessage, toolDefinitionOutputSchema, toolDefinitions } from '../message-shapes.ts';
import { referenceValue } from '../reference-fields.ts';

export const reinforcementRecordSchema = z
  .object({
    messages: z.array(openAIMessageSchema).min(1),
    tools: z.array(toolDefinitionOutputSchema),
  })
  .catchall(z.union([z.string(), z.number()]))
  .refine((record) => record.messages.at(-1)?.role === 'user', { message: 'the last message must be a user message' });
export type ReinforcementRecord = z.infer<typeof reinforcementRecordSchema>;

function reinforcementRecord(trajectory: Trajectory, options: FormatOptions): ReinforcementRecord {
  const prompt = taskPrompt(trajectory);
  if (!prompt) throw new SkipTrajectory('no user message in the prompt');
  const references: Record<string, string | number> = {};
  for (const [field, source] of Object.entries(options.referenceFields)) {
    const value = referenceValue(trajectory, source);
    if (value === undefined || value === '') throw new SkipTrajectory(`no value for reference field ${field} (${source})`);
    references[field] = value;
  }
  return { messages: prompt.map(toOpenAIMessage), tools: toolDefinitions(trajectory.tools), ...references } as ReinforcementRecord;
}

export function reinforcementRecords(trajectories: Trajectory[], options: FormatOptions): FormatResult<ReinforcementRecord> {
  const records: ReinforcementRecord[] = [];
  const skipped: SkippedTrajectory[] = [];
  for (const group of groupByTask(trajectories)) {
    const candidates = group
      .filter((trajectory) => {
        if (trajectory.final_reward !== null || options.includeUnrewarded) return true;
        skipped.push({ trajectory_id: trajectory.id, reason: 'no reward' });
        return false;
      })
      .sort((a, b) => (b.final_reward ?? -Infinity) - (a.final_reward ?? -Infinity) || a.id.localeCompare(b.id));
    for (const trajectory of candidates) {
      try {
        records.push(reinforcementRecord(trajectory, options));
        break;
      } catch (error) {
        if (!(error instanceof SkipTrajectory)) throw error;
        skipped.push({ trajectory_id: trajectory.id, reason: error.message });
      }
    }
  }
  return { records, skipped };
}

export function reinforcementParquetStructure(options: FormatOptions, message: string): string {
  const fields = Object.keys(options.referenceFields).map((name) => `, \`${name}\` String`).join('');
  return `messages Array(${message}), tools String${fields}`;
}
