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
import type { ExportFormat } from '../export-format.ts';
import { openAIMessageSchema, parquetOpenAIMessage, toOpenAIMessage, toolDefinitionOutputSchema, toolDefinitions } from '../message-shapes.ts';
import { preferencePairs } from '../preference-pairs.ts';
import type { ToolDefinition } from '../../model/message.ts';

const assistantSchema = openAIMessageSchema.options[2];

export const openAIDpoRecordSchema = z.object({
  input: z.object({
    messages: z.array(openAIMessageSchema).min(1),
    tools: z.array(toolDefinitionOutputSchema),
    parallel_tool_calls: z.boolean(),
  }),
  preferred_output: z.array(assistantSchema).length(1),
  non_preferred_output: z.array(assistantSchema).length(1),
});
export type OpenAIDpoRecord = z.infer<typeof openAIDpoRecordSchema>;

function unionTools(a: ToolDefinition[], b: ToolDefinition[]): ToolDefinition[] {
  const byName = new Map<string, ToolDefinition>();
  for (const tool of [...a, ...b]) if (!byName.has(tool.function.name)) byName.set(tool.function.name, tool);
  return [...byName.values()];
}

export const openAIDpoFormat: ExportFormat<OpenAIDpoRecord> = {
  name: 'openai-dpo',
  description: 'OpenAI DPO {input, preferred_output, non_preferred_output} from same-task trajectory pairs whose rewards differ by the margin',
  recordSchema: openAIDpoRecordSchema,
  grouping: 'task',
  parquetStructure: () => `input Tuple(messages Array(${parquetOpenAIMessage}), tools String, parallel_tool_calls Bool), preferred_output Array(${parquetOpenAIMessage}), non_preferred_output Array(${parquetOpenAIMessage})`,
  toRecords(trajectories, options) {
    const { pairs, skipped } = preferencePairs(trajectories, options);
    const records: OpenAIDpoRecord[] = pairs.map((pair) => {
      const preferred = toOpenAIMessage(pair.preferredContinuation[0]!.message);
      const rejected = toOpenAIMessage(pair.rejectedContinuation[0]!.message);
      const outputs = [preferred, rejected].filter((message) => message.role === 'assistant');
      const parallel = outputs.some((message) => (message.tool_calls?.length ?? 0) > 1);
      return {
        input: {
          messages: pair.prompt.map((entry) => toOpenAIMessage(entry.message)),
          tools: toolDefinitions(unionTools(pair.preferred.tools, pair.rejected.tools)),
          parallel_tool_calls: parallel,
        },
        preferred_output: [preferred as z.infer<typeof assistantSchema>],
        non_preferred_output: [rejected as z.infer<typeof assistantSchema>],
      };
    });
    return { records, skipped };
  },
};
