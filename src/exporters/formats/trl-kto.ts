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
import { buildConversation, endAtLastGenerated, firstGeneratedIndex } from '../conversation.ts';
import { missingRewardReason, trajectoryReward } from '../credit.ts';
import type { ExportFormat } from '../export-format.ts';
import { parquetTrlMessage, toolDefinitionOutputSchema, toolDefinitions, toTrlMessages, trlMessageSchema } from '../message-shapes.ts';
import { perTrajectory } from '../per-trajectory.ts';

export const trlKtoRecordSchema = z.object({
  prompt: z.array(trlMessageSchema).min(1),
  completion: z.array(trlMessageSchema).min(1),
  label: z.boolean(),
  tools: z.array(toolDefinitionOutputSchema),
});
export type TrlKtoRecord = z.infer<typeof trlKtoRecordSchema>;

export const trlKtoFormat: ExportFormat<TrlKtoRecord> = {
  name: 'trl-kto',
  description: 'Hugging Face TRL KTO unpaired preference {prompt, completion, label, tools}, label = reward >= threshold',
  recordSchema: trlKtoRecordSchema,
  grouping: 'trajectory',
  parquetStructure: () => `prompt Array(${parquetTrlMessage}), completion Array(${parquetTrlMessage}), label Bool, tools String`,
  toRecords(trajectories, options) {
    return perTrajectory(trajectories, (trajectory) => {
      const reward = trajectoryReward(trajectory, options.credit);
      if (reward === null) return missingRewardReason(trajectory, options.credit);
      const conversation = endAtLastGenerated(buildConversation(trajectory));
      const split = firstGeneratedIndex(conversation);
      if (split < 0) return 'no assistant output';
      if (split === 0) return 'no prompt before the first assistant output';
      const names = new Map<string, string>();
      const prompt = toTrlMessages(conversation.slice(0, split).map((entry) => entry.message), names);
      const completion = toTrlMessages(conversation.slice(split).map((entry) => entry.message), names);
      return [{ prompt, completion, label: reward >= options.labelThreshold, tools: toolDefinitions(trajectory.tools) }];
    });
  },
};
