/**
 * Hugging Face TRL KTOTrainer, conversational unpaired-preference type: `{prompt, completion, label, tools}`.
 * `prompt` is the conversation before the model's first output, `completion` everything the run did from there
 * (assistant and tool messages), `label` is true when the reward (chosen credit column) is at least
 * `labelThreshold`.
 *
 * {"prompt":[{"role":"user","content":"Weather in Paris?"}],
 *  "completion":[{"role":"assistant","content":"18C in Paris."}],"label":true,"tools":[]}
 */
import { z } from 'zod';
import { converted, skip } from '../conversion-outcome.ts';
import { buildConversation, endAtLastGenerated, firstGeneratedIndex } from '../conversation.ts';
import { missingRewardReason, trajectoryReward } from '../credit.ts';
import type { PerTrajectoryFormat } from '../export-format.ts';
import { toolDefinitions, toTrlMessages, trlMessageSchema, trlToolDefinitionsSchema } from '../message-shapes.ts';

export const trlKtoRecordSchema = z.object({
  prompt: z.array(trlMessageSchema).min(1),
  completion: z.array(trlMessageSchema).min(1),
  label: z.boolean(),
  tools: trlToolDefinitionsSchema,
});
export type TrlKtoRecord = z.infer<typeof trlKtoRecordSchema>;

export const trlKtoFormat: PerTrajectoryFormat<TrlKtoRecord> = {
  name: 'trl-kto',
  description:
    'Hugging Face TRL KTO unpaired preference {prompt, completion, label, tools}, label = reward >= threshold',
  recordSchema: trlKtoRecordSchema,
  grouping: 'trajectory',
  convert(trajectory, options) {
    const reward = trajectoryReward(trajectory, options.credit);
    if (reward === null) return skip(missingRewardReason(trajectory, options.credit));
    const conversation = endAtLastGenerated(buildConversation(trajectory));
    const split = firstGeneratedIndex(conversation);
    if (split < 0) return skip('no assistant output');
    if (split === 0) return skip('no prompt before the first assistant output');
    const names = new Map<string, string>();
    const prompt = toTrlMessages(
      conversation.slice(0, split).map((entry) => entry.message),
      names,
    );
    if (prompt.status === 'skipped') return prompt;
    const completion = toTrlMessages(
      conversation.slice(split).map((entry) => entry.message),
      names,
    );
    if (completion.status === 'skipped') return completion;
    return converted({
      prompt: prompt.value,
      completion: completion.value,
      label: reward >= options.labelThreshold,
      tools: toolDefinitions(trajectory.tools),
    });
  },
};
