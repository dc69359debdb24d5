/**
 * OpenAI's reinforcement fine-tuning input line, transcribed from the OpenAI API spec (`openapi.documented.yml`,
 * schema `FineTuneReinforcementRequestInput`): `messages` items are one of ChatCompletionRequestDeveloperMessage,
 * ChatCompletionRequestUserMessage, FineTuneChatCompletionRequestAssistantMessage and
 * ChatCompletionRequestToolMessage (no system message); `tools` are function tools; every other key is data for
 * the grader. Message objects are strict here so a field the spec does not define fails the test.
 */
import { z } from 'zod';

const textPart = z.strictObject({ type: z.literal('text'), text: z.string() });
const userPart = z.union([
  textPart,
  z.strictObject({
    type: z.literal('image_url'),
    image_url: z.strictObject({ url: z.string(), detail: z.enum(['auto', 'low', 'high']).optional() }),
  }),
]);

const functionCall = z.strictObject({
  id: z.string(),
  type: z.literal('function'),
  function: z.strictObject({ name: z.string(), arguments: z.string() }),
});

export const openAIRftInputSchema = z
  .object({
    messages: z.array(
      z.discriminatedUnion('role', [
        z.strictObject({
          role: z.literal('developer'),
          content: z.union([z.string(), z.array(textPart)]),
          name: z.string().optional(),
        }),
        z.strictObject({
          role: z.literal('user'),
          content: z.union([z.string(), z.array(userPart)]),
          name: z.string().optional(),
        }),
        z.strictObject({
          role: z.literal('assistant'),
          content: z.union([z.string(), z.array(textPart), z.null()]).optional(),
          refusal: z.string().nullable().optional(),
          name: z.string().optional(),
          tool_calls: z.array(functionCall).optional(),
          weight: z.union([z.literal(0), z.literal(1)]).optional(),
        }),
        z.strictObject({
          role: z.literal('tool'),
          content: z.union([z.string(), z.array(textPart)]),
          tool_call_id: z.string(),
        }),
      ]),
    ),
    tools: z
      .array(
        z.strictObject({
          type: z.literal('function'),
          function: z.strictObject({
            name: z.string(),
            description: z.string().optional(),
            parameters: z.record(z.string(), z.unknown()).optional(),
            strict: z.boolean().nullable().optional(),
          }),
        }),
      )
      .optional(),
  })
  .catchall(z.unknown());
