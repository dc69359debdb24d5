/**
 * OpenAI supervised fine-tuning, chat format: `{messages, tools, parallel_tool_calls}`. Tool call arguments are
 * JSON strings and every tool message answers a call id of an earlier assistant message. The conversation ends
 * at the model's last message. With `weightThreshold` set, each assistant message the model generated gets
 * `weight` 1 when its turn's credit exceeds the threshold, else 0 (OpenAI accepts only 0 and 1); replayed
 * history assistant messages get weight 0. Trajectories without a reward are exported only with
 * `includeUnrewarded` (and then carry no weights).
 *
 * {"messages":[{"role":"system","content":"You are a weather bot."},{"role":"user","content":"Weather in Paris?"},
 *   {"role":"assistant","content":null,"tool_calls":[{"id":"call_1","type":"function","function":{"name":"get_weather","arguments":"{\"city\":\"Paris\"}"}}]},
 *   {"role":"tool","content":"18C","tool_call_id":"call_1"},{"role":"assistant","content":"18C in Paris."}],
 *  "tools":[{"type":"function","function":{"name":"get_weather","parameters":{...}}}],"parallel_tool_calls":false}
 */
import { z } from 'zod';
import { converted, skip } from '../conversion-outcome.ts';
import { buildConversation, endAtLastGenerated } from '../conversation.ts';
import { turnCredit } from '../credit.ts';
import type { PerTrajectoryFormat } from '../export-format.ts';
import {
  openAISftMessageSchema,
  toOpenAIMessages,
  toolDefinitions,
  toolDefinitionsSchema,
  type OpenAISftMessage,
} from '../message-shapes.ts';

export const openAISftRecordSchema = z.object({
  messages: z.array(openAISftMessageSchema).min(2),
  tools: toolDefinitionsSchema,
  parallel_tool_calls: z.boolean(),
});
export type OpenAISftRecord = z.infer<typeof openAISftRecordSchema>;

export const openAISftFormat: PerTrajectoryFormat<OpenAISftRecord> = {
  name: 'openai-sft',
  description:
    'OpenAI fine-tuning chat JSONL {messages, tools, parallel_tool_calls}, optional per-message weight from credit',
  recordSchema: openAISftRecordSchema,
  grouping: 'trajectory',
  convert(trajectory, options) {
    const rewarded = trajectory.final_reward !== null;
    if (!rewarded && !options.includeUnrewarded) return skip('no reward');
    const conversation = endAtLastGenerated(buildConversation(trajectory));
    if (conversation.length === 0) return skip('no assistant output');
    const mapped = toOpenAIMessages(conversation.map((entry) => entry.message));
    if (mapped.status === 'skipped') return mapped;
    const weighted = options.weightThreshold !== undefined && rewarded;
    const messages = mapped.value.map((message, position): OpenAISftMessage => {
      if (!weighted || message.role !== 'assistant') return message;
      const turnIndex = conversation[position]?.turnIndex;
      const credit = turnIndex === undefined ? null : turnCredit(trajectory, turnIndex, options.credit);
      return { ...message, weight: credit !== null && credit > (options.weightThreshold ?? 0) ? 1 : 0 };
    });
    return converted({
      messages,
      tools: toolDefinitions(trajectory.tools),
      parallel_tool_calls: messages.some(
        (message) => message.role === 'assistant' && (message.tool_calls?.length ?? 0) > 1,
      ),
    });
  },
};
