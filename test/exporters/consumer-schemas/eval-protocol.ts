/**
 * Fireworks' evaluation row, transcribed from eval-protocol's pydantic models (`eval-protocol/python-sdk`,
 * `eval_protocol/models.py`, `EvaluationRow` and `Message` at commit 000c2a4809df4d22f07e39401f2065a6053ab964):
 * `messages` (role a string; content a string or text parts; `name`, `tool_call_id`, OpenAI `tool_calls`),
 * `tools` (a list of objects), `ground_truth` (an optional string); the row allows extra keys. Messages are
 * strict here, and roles limited to the ones open models' chat templates render (system, user, assistant, tool),
 * so a `developer` message, which the Qwen2.5 template drops, fails.
 */
import { z } from 'zod';

const content = z.union([z.string(), z.array(z.strictObject({ type: z.literal('text'), text: z.string() }))]);

export const evaluationRowSchema = z
  .object({
    messages: z
      .array(
        z.strictObject({
          role: z.enum(['system', 'user', 'assistant', 'tool']),
          content: content.nullable().optional(),
          name: z.string().optional(),
          tool_call_id: z.string().optional(),
          tool_calls: z
            .array(
              z.strictObject({
                id: z.string(),
                type: z.literal('function'),
                function: z.strictObject({ name: z.string(), arguments: z.string() }),
              }),
            )
            .optional(),
        }),
      )
      .min(1),
    tools: z.array(z.record(z.string(), z.unknown())).optional(),
    ground_truth: z.string().optional(),
  })
  .catchall(z.unknown());
