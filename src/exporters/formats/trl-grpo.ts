/**
 * Hugging Face TRL GRPOTrainer, conversational prompt-only type: `{prompt, tools, reward, advantage, ...}`.
 * GRPO samples its own completions; the extra columns reach the reward functions as keyword arguments, so the
 * observed reward (chosen credit column) and group-relative advantage of the recorded run travel with the prompt.
 * `prompt` is the conversation before the model's first output. `advantage` is null when the store computed none.
 *
 * {"prompt":[{"role":"system","content":"You are a weather bot."},{"role":"user","content":"Weather in Paris?"}],
 *  "tools":[],"reward":1,"advantage":0.5,"task_id":"t-weather","trajectory_id":"..."}
 */
import { z } from 'zod';
import { converted, skip } from '../conversion-outcome.ts';
import { buildConversation, firstGeneratedIndex } from '../conversation.ts';
import { missingRewardReason, trajectoryReward } from '../credit.ts';
import type { PerTrajectoryFormat } from '../export-format.ts';
import { toolDefinitions, toTrlMessages, trlMessageSchema, trlToolDefinitionsSchema } from '../message-shapes.ts';

export const trlGrpoRecordSchema = z.object({
  prompt: z.array(trlMessageSchema).min(1),
  tools: trlToolDefinitionsSchema,
  reward: z.number(),
  advantage: z.number().nullable(),
  task_id: z.string(),
  trajectory_id: z.string(),
});
export type TrlGrpoRecord = z.infer<typeof trlGrpoRecordSchema>;

export const trlGrpoFormat: PerTrajectoryFormat<TrlGrpoRecord> = {
  name: 'trl-grpo',
  description: 'Hugging Face TRL GRPO prompt-only {prompt, tools} with reward and advantage columns',
  recordSchema: trlGrpoRecordSchema,
  grouping: 'trajectory',
  convert(trajectory, options) {
    const reward = trajectoryReward(trajectory, options.credit);
    if (reward === null) return skip(missingRewardReason(trajectory, options.credit));
    const conversation = buildConversation(trajectory);
    const split = firstGeneratedIndex(conversation);
    const promptMessages = (split < 0 ? conversation : conversation.slice(0, split)).map((entry) => entry.message);
    if (!promptMessages.some((message) => message.role === 'user')) return skip('no user message in the prompt');
    const prompt = toTrlMessages(promptMessages);
    if (prompt.status === 'skipped') return prompt;
    const first = trajectory.turns[0];
    const advantage = first
      ? (trajectory.credit.find((entry) => entry.turn_index === first.index)?.advantage ?? null)
      : null;
    return converted({
      prompt: prompt.value,
      tools: toolDefinitions(trajectory.tools),
      reward,
      advantage,
      task_id: trajectory.task_id,
      trajectory_id: trajectory.id,
    });
  },
};
