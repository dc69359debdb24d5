/**
 * Reinforcement fine-tuning rows, registered as `openai-rft` and `fireworks`: both consumers read
 * `{messages, tools, ...reference fields}` with messages ending at the user message the model answers, and differ
 * only in the prompt's message dialect (rft-messages.ts: OpenAI takes the instructions as a `developer` message
 * and rejects `system`; Fireworks' eval-protocol rows keep `system` and text-only content). OpenAI's RFT reserves
 * `messages` and `tools` and hands every other key to the grader as `{{ item.<key> }}`; Fireworks
 * (eval-protocol's `EvaluationRow`: `messages`, `tools`, `ground_truth`) hands `ground_truth` to the evaluator,
 * which is why it is the default reference field.
 *
 * One row per task: the task's prompt (the first call's input up to its last user message), the tools offered,
 * and the reference fields taken from the task's highest-reward trajectory that has them. The task's other
 * rewarded trajectories are consumed by that row, not skipped: a job marks them exported, so a later run cannot
 * export the task again from a worse reference answer.
 *
 * openai-rft: {"messages":[{"role":"developer","content":"Answer with a number."},{"role":"user","content":"What is 6*7?"}],
 *              "tools":[],"ground_truth":"42"}
 * fireworks:  {"messages":[{"role":"system","content":"Answer with a number."},{"role":"user","content":"What is 6*7?"}],
 *              "tools":[],"ground_truth":"42"}
 */
import { z } from 'zod';
import type { Message } from '../../model/message.ts';
import type { Trajectory } from '../../model/trajectory.ts';
import {
  exported,
  mapped,
  skip,
  skippedTrajectory,
  type Mapped,
  type TrajectoryOutcome,
} from '../conversion-outcome.ts';
import { taskPrompt } from '../conversation.ts';
import type { FormatOptions, PerTaskFormat } from '../export-format.ts';
import { toolDefinitions, toolDefinitionsSchema } from '../message-shapes.ts';
import { referenceValue } from '../reference-fields.ts';
import {
  evaluationRowMessageSchema,
  openAIRftMessageSchema,
  toEvaluationRowMessages,
  toOpenAIRftMessages,
} from '../rft-messages.ts';

function reinforcementRecordSchema<M extends z.ZodType<{ role: string }>>(messageSchema: M) {
  return z
    .object({ messages: z.array(messageSchema).min(1), tools: toolDefinitionsSchema })
    .catchall(z.union([z.string(), z.number()]))
    .refine((record) => record.messages.at(-1)?.role === 'user', {
      error: 'the last message must be a user message',
    });
}

export const openAIRftRecordSchema = reinforcementRecordSchema(openAIRftMessageSchema);
export const fireworksRecordSchema = reinforcementRecordSchema(evaluationRowMessageSchema);
export type ReinforcementRecord = z.infer<typeof openAIRftRecordSchema> | z.infer<typeof fireworksRecordSchema>;

interface Dialect {
  toMessages: (messages: readonly Message[]) => Mapped<ReinforcementRecord['messages']>;
  /** eval-protocol types `ground_truth` as a string, so a numeric reference (a reward value) is written as text. */
  referencesAsText: boolean;
}

function reinforcementRecord(
  trajectory: Trajectory,
  options: FormatOptions,
  dialect: Dialect,
): Mapped<ReinforcementRecord> {
  const prompt = taskPrompt(trajectory);
  if (!prompt) return skip('no user message in the prompt');
  const references: Record<string, string | number> = {};
  for (const [field, source] of Object.entries(options.referenceFields)) {
    const value = referenceValue(trajectory, source);
    if (value === undefined || value === '') return skip(`no value for reference field ${field} (${source})`);
    references[field] = dialect.referencesAsText ? String(value) : value;
  }
  const messages = dialect.toMessages(prompt);
  if (messages.status === 'skipped') return messages;
  return mapped({
    messages: messages.value,
    tools: toolDefinitions(trajectory.tools),
    ...references,
  } as ReinforcementRecord);
}

function reinforcementFineTuning(
  dialect: Dialect,
): Pick<PerTaskFormat<ReinforcementRecord>, 'grouping' | 'extraColumns' | 'convertTask'> {
  return {
    grouping: 'task',
    extraColumns: (options) => Object.keys(options.referenceFields),
    convertTask(group, options) {
      const outcomes: TrajectoryOutcome[] = [];
      const candidates = group
        .filter((trajectory) => {
          if (trajectory.final_reward !== null || options.includeUnrewarded) return true;
          outcomes.push(skippedTrajectory(trajectory.id, 'no reward'));
          return false;
        })
        .sort((a, b) => (b.final_reward ?? -Infinity) - (a.final_reward ?? -Infinity) || a.id.localeCompare(b.id));
      let row: ReinforcementRecord | undefined;
      for (const trajectory of candidates) {
        // Once the row is written, the remaining candidates are consumed by it.
        if (row !== undefined) {
          outcomes.push(exported(trajectory.id));
          continue;
        }
        const record = reinforcementRecord(trajectory, options, dialect);
        if (record.status === 'skipped') {
          outcomes.push(skippedTrajectory(trajectory.id, record));
        } else {
          row = record.value;
          outcomes.push(exported(trajectory.id));
        }
      }
      return { records: row === undefined ? [] : [row], outcomes };
    },
  };
}

export const openAIRftFormat: PerTaskFormat<ReinforcementRecord> = {
  name: 'openai-rft',
  description:
    'OpenAI reinforcement fine-tuning {messages, tools, <reference fields>}, one row per task, instructions as developer, ending with the user message',
  recordSchema: openAIRftRecordSchema,
  ...reinforcementFineTuning({ toMessages: toOpenAIRftMessages, referencesAsText: false }),
};

export const fireworksFormat: PerTaskFormat<ReinforcementRecord> = {
  name: 'fireworks',
  description: 'Fireworks RFT dataset (eval-protocol rows) {messages, tools, ground_truth}, one row per task',
  recordSchema: fireworksRecordSchema,
  ...reinforcementFineTuning({ toMessages: toEvaluationRowMessages, referencesAsText: true }),
};
