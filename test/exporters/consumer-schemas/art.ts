/**
 * OpenPipe ART's trajectory models, transcribed from the ART source (`OpenPipe/ART`, `src/art/trajectories`,
 * the version with `exchanges`, `additional_histories` and policy versions on `Trajectory` and `metrics` / `logs`
 * on `TrajectoryGroup`, which also reads the older files): a `TrajectoryGroup` holds `trajectories`,
 * `exceptions` (`{type, message, traceback}`), `metadata`, `metrics`, `logs`; a `Trajectory` holds
 * `messages_and_choices` (OpenAI chat message params, or OpenAI `Choice` objects for what the model generated),
 * `tools` (OpenAI function tools or null), `reward`, `metrics` (numbers and booleans), `metadata`, `logs`.
 * Pydantic ignores unknown keys; objects are strict here so a key ART would silently drop fails the test.
 */
import { z } from 'zod';

const textParts = z.array(z.strictObject({ type: z.literal('text'), text: z.string() }));
const toolCall = z.strictObject({
  id: z.string(),
  type: z.literal('function'),
  function: z.strictObject({ name: z.string(), arguments: z.string() }),
});

// openai.types.chat.ChatCompletionMessageParam, the messages ART keeps as plain dicts.
const messageParam = z.discriminatedUnion('role', [
  z.strictObject({ role: z.literal('system'), content: z.union([z.string(), textParts]), name: z.string().optional() }),
  z.strictObject({
    role: z.literal('developer'),
    content: z.union([z.string(), textParts]),
    name: z.string().optional(),
  }),
  z.strictObject({
    role: z.literal('user'),
    content: z.union([z.string(), z.array(z.looseObject({ type: z.string() }))]),
    name: z.string().optional(),
  }),
  z.strictObject({
    role: z.literal('assistant'),
    content: z.union([z.string(), textParts, z.null()]).optional(),
    tool_calls: z.array(toolCall).optional(),
    name: z.string().optional(),
    refusal: z.string().nullable().optional(),
  }),
  z.strictObject({ role: z.literal('tool'), content: z.union([z.string(), textParts]), tool_call_id: z.string() }),
]);

// openai.types.chat.chat_completion.Choice, what ART trains on.
const choice = z.strictObject({
  finish_reason: z.enum(['stop', 'length', 'tool_calls', 'content_filter', 'function_call']),
  index: z.number().int(),
  logprobs: z.null().optional(),
  message: z.strictObject({
    role: z.literal('assistant'),
    content: z.string().nullable(),
    refusal: z.string().nullable().optional(),
    tool_calls: z.array(toolCall).optional(),
  }),
});

const functionTool = z.strictObject({
  type: z.literal('function'),
  function: z.strictObject({
    name: z.string(),
    description: z.string().optional(),
    parameters: z.record(z.string(), z.unknown()).optional(),
    strict: z.boolean().nullable().optional(),
  }),
});

export const artTrajectorySchema = z.strictObject({
  messages_and_choices: z.array(z.union([choice, messageParam])),
  tools: z.array(functionTool).nullable().optional(),
  reward: z.number(),
  metrics: z.record(z.string(), z.union([z.number(), z.boolean()])).optional(),
  metadata: z.record(z.string(), z.unknown()).optional(),
  logs: z.array(z.string()).optional(),
});

export const artTrajectoryGroupSchema = z.strictObject({
  trajectories: z.array(artTrajectorySchema),
  exceptions: z.array(z.strictObject({ type: z.string(), message: z.string(), traceback: z.string() })).optional(),
  metadata: z.record(z.string(), z.unknown()).optional(),
  metrics: z.record(z.string(), z.union([z.number(), z.boolean()])).optional(),
  logs: z.array(z.string()).optional(),
});
