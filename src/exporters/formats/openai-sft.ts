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
import { buildConversation, endAtLastGenerated } from '../conversation.ts';
import { turnCredit } from '../credit.ts';
import type { ExportFormat } from '../export-format.ts';
import { openAIMessageSchema, parquetOpenAIMessage, toOpenAIMessage, toolDefinitionOutputSchema, toolDefinitions } from '../message-shapes.ts';
import { perTrajectory } from '../per-trajectory.ts';

export const openAISftRecordSchema = z.object({
  messages: z.array(openAIMessageSchema).min(2),
  tools: z.array(toolDefinitionOutputSchema),
  parallel_tool_calls: z.boolean(),
});
export type OpenAISftRecord = z.infer<typeof openAISftRecordSchema>;

export const openAISftFormat: ExportFormat<OpenAISftRecord> = {
  name: 'openai-sft',
  description: 'OpenAI fine-tuning chat JSONL {messages, tools, parallel_tool_calls}, optional per-message weight from credit',
  recordSchema: openAISftRecordSchema,
  grouping: 'trajectory',
  parquetStructure: () => `messages Array(${parquetOpenAIMessage.replace(/\)$/, ', weight Nullable(UInt8))')}), tools String, parallel_tool_calls Bool`,
  toRecords(trajectories, options) {
    return perTrajectory(trajectories, (trajectory) => {
      const rewarded = trajectory.final_reward !== null;
      if (!rewarded && !options.includeUnrewarded) return 'no reward';
      const conversation = endAtLastGenerated(buildConversation(trajectory));
      if (conversation.length === 0) return 'no assistant output';
      const weighted = options.weightThreshold !== undefined && rewarded;
      const messages = conversation.map((entry) => {
        const message = toOpenAIMessage(entry.message);
        if (!weighted || message.role !== 'assistant') return message;
        const credit = entry.turnIndex === undefined ? null : turnCredit(trajectory, entry.turnIndex, options.credit);
        return { ...message, weight: credit !== null && credit > (options.weightThreshold ?? 0) ? (1 as const) : (0 as const) };
      });
      return [
        {
          messages,
          tools: toolDefinitions(trajectory.tools),
          parallel_tool_calls: messages.some((message) => message.role === 'assistant' && (message.tool_calls?.length ?? 0) > 1),
        },
      ];
    });
  },
};
