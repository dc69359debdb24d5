/**
 * Hugging Face TRL SFTTrainer, conversational language-modeling type with tool calling: `{messages, tools}`.
 * As TRL documents it, assistant tool calls are `{type: "function", function: {name, arguments: <object>}}`,
 * tool messages carry the tool's `name`, and `tools` holds the JSON-schema tool definitions the chat template
 * renders. Trajectories without a reward are exported only with `includeUnrewarded`.
 *
 * {"messages":[{"role":"user","content":"Turn on the living room lights."},
 *   {"role":"assistant","content":"","tool_calls":[{"type":"function","function":{"name":"control_light","arguments":{"room":"living room","state":"on"}}}]},
 *   {"role":"tool","content":"The lights are now on.","name":"control_light","tool_call_id":"call_1"},
 *   {"role":"assistant","content":"Done!"}],
 *  "tools":[{"type":"function","function":{"name":"control_light","parameters":{...}}}]}
 */
import { z } from 'zod';
import { converted, skip } from '../conversion-outcome.ts';
import { buildConversation, endAtLastGenerated } from '../conversation.ts';
import type { PerTrajectoryFormat } from '../export-format.ts';
import { toolDefinitions, toTrlMessages, trlMessageSchema, trlToolDefinitionsSchema } from '../message-shapes.ts';

export const trlSftRecordSchema = z.object({
  messages: z.array(trlMessageSchema).min(2),
  tools: trlToolDefinitionsSchema,
});
export type TrlSftRecord = z.infer<typeof trlSftRecordSchema>;

export const trlSftFormat: PerTrajectoryFormat<TrlSftRecord> = {
  name: 'trl-sft',
  description: 'Hugging Face TRL SFT conversational {messages, tools} with TRL tool-calling conventions',
  recordSchema: trlSftRecordSchema,
  grouping: 'trajectory',
  convert(trajectory, options) {
    if (trajectory.final_reward === null && !options.includeUnrewarded) return skip('no reward');
    const conversation = endAtLastGenerated(buildConversation(trajectory));
    if (conversation.length === 0) return skip('no assistant output');
    const messages = toTrlMessages(conversation.map((entry) => entry.message));
    if (messages.status === 'skipped') return messages;
    return converted({ messages: messages.value, tools: toolDefinitions(trajectory.tools) });
  },
};
