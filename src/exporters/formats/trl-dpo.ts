/**
 * Hugging Face TRL DPOTrainer, conversational preference type with explicit prompt: `{prompt, chosen, rejected,
 * tools}`. Pairs come from same-task trajectories whose rewards differ by at least `preferenceMargin`
 * (preference-pairs.ts); `prompt` is what both runs share, `chosen` / `rejected` are everything each run did
 * afterwards (assistant and tool messages, TRL tool-calling conventions).
 *
 * {"prompt":[{"role":"user","content":"Weather in Paris?"}],
 *  "chosen":[{"role":"assistant","content":"","tool_calls":[{"type":"function","function":{"name":"get_weather","arguments":{"city":"Paris"}}}]},
 *            {"role":"tool","content":"18C","name":"get_weather","tool_call_id":"call_1"},{"role":"assistant","content":"18C."}],
 *  "rejected":[{"role":"assistant","content":"I cannot know."}],"tools":[...]}
 */
import { z } from 'zod';
import { mapped } from '../conversion-outcome.ts';
import type { PerTaskFormat } from '../export-format.ts';
import { toolDefinitions, toTrlMessages, trlMessageSchema, trlToolDefinitionsSchema } from '../message-shapes.ts';
import { pairRecords } from '../preference-pairs.ts';

export const trlDpoRecordSchema = z.object({
  prompt: z.array(trlMessageSchema).min(1),
  chosen: z.array(trlMessageSchema).min(1),
  rejected: z.array(trlMessageSchema).min(1),
  tools: trlToolDefinitionsSchema,
});
export type TrlDpoRecord = z.infer<typeof trlDpoRecordSchema>;

export const trlDpoFormat: PerTaskFormat<TrlDpoRecord> = {
  name: 'trl-dpo',
  description:
    'Hugging Face TRL DPO conversational preference {prompt, chosen, rejected, tools} from same-task trajectory pairs',
  recordSchema: trlDpoRecordSchema,
  grouping: 'task',
  convertTask(group, options) {
    return pairRecords(group, options, (pair) => {
      // Tool names are resolved from calls in the shared prompt too, so each side gets its own copy of the map.
      const promptNames = new Map<string, string>();
      const prompt = toTrlMessages(
        pair.prompt.map((entry) => entry.message),
        promptNames,
      );
      if (prompt.status === 'skipped') return prompt;
      const chosen = toTrlMessages(
        pair.preferredContinuation.map((entry) => entry.message),
        new Map(promptNames),
      );
      if (chosen.status === 'skipped') return chosen;
      const rejected = toTrlMessages(
        pair.rejectedContinuation.map((entry) => entry.message),
        new Map(promptNames),
      );
      if (rejected.status === 'skipped') return rejected;
      return mapped({
        prompt: prompt.value,
        chosen: chosen.value,
        rejected: rejected.value,
        tools: toolDefinitions(
          pair.preferred.tools.length >= pair.rejected.tools.length ? pair.preferred.tools : pair.rejected.tools,
        ),
      });
    });
  },
};
