/**
 * OpenAI direct preference optimization: `{input: {messages, tools, parallel_tool_calls}, preferred_output,
 * non_preferred_output}`. Pairs come from complete trajectories of the same task whose rewards differ by at least
 * `preferenceMargin` (see preference-pairs.ts). `input.messages` is what both runs share; each output is the one
 * assistant message where the runs diverged (OpenAI takes a single assistant message per side).
 *
 * {"input":{"messages":[{"role":"user","content":"Weather in Paris?"}],"tools":[...],"parallel_tool_calls":false},
 *  "preferred_output":[{"role":"assistant","content":null,"tool_calls":[{"id":"call_1","type":"function","function":{"name":"get_weather","arguments":"{\"city\":\"Paris\"}"}}]}],
 *  "non_preferred_output":[{"role":"assistant","content":"I cannot know the weather."}]}
 */
import { z } from 'zod';
import type { ToolDefinition } from '../../model/message.ts';
import { mapped, skip, type Mapped } from '../conversion-outcome.ts';
import type { ConversationMessage } from '../conversation.ts';
import type { PerTaskFormat } from '../export-format.ts';
import {
  openAIAssistantMessageSchema,
  openAIMessageSchema,
  toOpenAIMessage,
  toOpenAIMessages,
  toolDefinitions,
  toolDefinitionsSchema,
} from '../message-shapes.ts';
import { pairRecords } from '../preference-pairs.ts';

type AssistantMessage = z.infer<typeof openAIAssistantMessageSchema>;

export const openAIDpoRecordSchema = z.object({
  input: z.object({
    messages: z.array(openAIMessageSchema).min(1),
    tools: toolDefinitionsSchema,
    parallel_tool_calls: z.boolean(),
  }),
  preferred_output: z.array(openAIAssistantMessageSchema).length(1),
  non_preferred_output: z.array(openAIAssistantMessageSchema).length(1),
});
export type OpenAIDpoRecord = z.infer<typeof openAIDpoRecordSchema>;

function unionTools(a: ToolDefinition[], b: ToolDefinition[]): ToolDefinition[] {
  const byName = new Map<string, ToolDefinition>();
  for (const tool of [...a, ...b]) if (!byName.has(tool.function.name)) byName.set(tool.function.name, tool);
  return [...byName.values()];
}

/** The model's first message after the shared prompt: pairs diverge at a generated (assistant) message. */
function divergingOutput(entry: ConversationMessage | undefined): Mapped<AssistantMessage> {
  if (!entry) return skip('no assistant output after the shared prompt');
  const message = toOpenAIMessage(entry.message);
  if (message.status === 'skipped') return message;
  return message.value.role === 'assistant'
    ? mapped(message.value)
    : skip('the runs diverge at a message the model did not generate');
}

export const openAIDpoFormat: PerTaskFormat<OpenAIDpoRecord> = {
  name: 'openai-dpo',
  description:
    'OpenAI DPO {input, preferred_output, non_preferred_output} from same-task trajectory pairs whose rewards differ by the margin',
  recordSchema: openAIDpoRecordSchema,
  grouping: 'task',
  convertTask(group, options) {
    return pairRecords(group, options, (pair) => {
      const preferred = divergingOutput(pair.preferredContinuation[0]);
      if (preferred.status === 'skipped') return preferred;
      const rejected = divergingOutput(pair.rejectedContinuation[0]);
      if (rejected.status === 'skipped') return rejected;
      const messages = toOpenAIMessages(pair.prompt.map((entry) => entry.message));
      if (messages.status === 'skipped') return messages;
      return mapped({
        input: {
          messages: messages.value,
          tools: toolDefinitions(unionTools(pair.preferred.tools, pair.rejected.tools)),
          parallel_tool_calls: [preferred.value, rejected.value].some(
            (message) => (message.tool_calls?.length ?? 0) > 1,
          ),
        },
        preferred_output: [preferred.value],
        non_preferred_output: [rejected.value],
      });
    });
  },
};
