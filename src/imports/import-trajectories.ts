/**
 * Trajectories that never were spans, as spans: OpenAI chat-format conversations (messages with tool calls and
 * results, optional task, agent and reward) and the design documents' trajectory JSON (`{agent_id, data:
 * {metadata, turns: [{user_message, assistant_messages, tool_results}]}}`). Each becomes one trace of OpenTelemetry
 * GenAI spans (an agent span, one model call per assistant message whose input is the conversation before it, one
 * tool span per tool result, a reward span) that the receiver ingests like any other, so views, the API, analytics
 * and exports treat it as they treat instrumented runs.
 *
 * Idempotent by the client's `id`: the trace and span ids are derived from the tenant and the id, so importing the
 * same trajectory again stores the same rows, which the store collapses.
 */
import { createHash } from 'node:crypto';
import { z } from 'zod';
import type { Attributes, OtlpSpan, OtlpSpanKind } from '../model/otlp.ts';

const text = z.string().max(10_000_000);
const contentPart = z.looseObject({ type: z.string(), text: z.string().optional() });
const chatContent = z.union([text, z.array(contentPart), z.null()]).optional();

const toolCallSchema = z.strictObject({
  id: z.string().min(1).max(1000),
  type: z.literal('function').default('function'),
  function: z.strictObject({
    name: z.string().min(1).max(1000),
    /** JSON text, as OpenAI sends it; an object is accepted and serialised. */
    arguments: z.union([z.string(), z.record(z.string(), z.unknown())]).default('{}'),
  }),
});

const chatMessageSchema = z.discriminatedUnion('role', [
  z.looseObject({ role: z.enum(['system', 'developer', 'user']), content: chatContent, name: z.string().optional() }),
  z.looseObject({
    role: z.literal('assistant'),
    content: chatContent,
    tool_calls: z.array(toolCallSchema).max(1000).optional(),
  }),
  z.looseObject({ role: z.literal('tool'), content: chatContent, tool_call_id: z.string().min(1).max(1000) }),
]);
type ChatMessage = z.infer<typeof chatMessageSchema>;

const time = z.iso.datetime({ offset: true });
const reward = z.number().min(-1e9).max(1e9);
const importId = z.string().trim().min(1).max(1000);

/** An OpenAI chat-format conversation. */
export const chatTrajectorySchema = z.strictObject({
  id: importId,
  messages: z.array(chatMessageSchema).min(1).max(100_000),
  tools: z.array(z.record(z.string(), z.unknown())).max(10_000).optional(),
  task: z.string().max(100_000).optional(),
  task_id: z.string().max(1000).optional(),
  agent: z.string().min(1).max(1000).optional(),
  model: z.string().min(1).max(1000).optional(),
  reward: reward.optional(),
  start_time: time.optional(),
});

const toolResultSchema = z.looseObject({
  tool_call_id: z.string().min(1).max(1000),
  name: z.string().max(1000).optional(),
  content: z.unknown().optional(),
  output: z.unknown().optional(),
  result: z.unknown().optional(),
  is_error: z.boolean().optional(),
});

/** The design documents' generic trajectory format. */
export const documentTrajectorySchema = z.strictObject({
  id: importId,
  agent_id: z.string().min(1).max(1000),
  task: z.string().max(100_000).optional(),
  task_id: z.string().max(1000).optional(),
  model: z.string().min(1).max(1000).optional(),
  reward: reward.optional(),
  data: z.looseObject({
    metadata: z
      .looseObject({
        start_time: time.optional(),
        end_time: time.optional(),
        outcome: z.enum(['success', 'partial_success', 'failure']).optional(),
      })
      .optional(),
    initial_context: z.string().max(1_000_000).optional(),
    turns: z
      .array(
        z.looseObject({
          turn_id: z.union([z.number(), z.string()]).optional(),
          timestamp: time.optional(),
          user_message: z.string().max(10_000_000).optional(),
          assistant_messages: z.array(chatMessageSchema).max(10_000).default([]),
          tool_results: z.array(toolResultSchema).max(10_000).default([]),
        }),
      )
      .min(1)
      .max(100_000),
  }),
});

export type ImportTrajectory = z.infer<typeof chatTrajectorySchema> | z.infer<typeof documentTrajectorySchema>;

/** Most trajectories one request imports. */
export const maxImportBatch = 1000;

/** The first problem of a parse, as `path: message`. */
function firstIssue(error: z.ZodError, prefix: string): string {
  const issue = error.issues[0];
  const path = [prefix, ...(issue?.path ?? []).map(String)].filter(Boolean).join('.');
  if (issue?.code === 'unrecognized_keys')
    return `${path || 'trajectory'}: unknown field ${issue.keys.map((key) => JSON.stringify(key)).join(', ')}`;
  return `${path || 'trajectory'}: ${issue?.message ?? 'invalid'}`;
}

/** One trajectory of either format, told apart by its fields; throws an Error naming the bad field. */
function parseOne(value: unknown, prefix: string): ImportTrajectory {
  const fields = value !== null && typeof value === 'object' ? (value as Record<string, unknown>) : undefined;
  const schema =
    fields && 'messages' in fields
      ? chatTrajectorySchema
      : fields && 'data' in fields
        ? documentTrajectorySchema
        : undefined;
  if (!schema)
    throw new Error(
      `${prefix || 'trajectory'}: expected an object with "messages" (OpenAI chat format) or "agent_id" and "data" (trajectory format)`,
    );
  const parsed = schema.safeParse(value);
  if (!parsed.success) throw new Error(firstIssue(parsed.error, prefix));
  return parsed.data;
}

/**
 * `POST /v1/trajectories` and `trajectories import`: one trajectory, or `{"trajectories": [...]}` of up to
 * 1,000. Throws an Error whose message names the first bad field (`trajectories.2.messages.3.role: ...`).
 */
export function parseImportRequest(body: unknown): ImportTrajectory[] {
  if (body !== null && typeof body === 'object' && 'trajectories' in body) {
    const list = body.trajectories;
    if (!Array.isArray(list) || list.length === 0 || list.length > maxImportBatch)
      throw new Error(`trajectories: expected an array of 1 to ${maxImportBatch} trajectories`);
    const extra = Object.keys(body).filter((key) => key !== 'trajectories');
    if (extra.length > 0) throw new Error(`unknown field ${extra.map((key) => JSON.stringify(key)).join(', ')}`);
    const parsed = list.map((item, index) => parseOne(item, `trajectories.${index}`));
    const ids = new Set<string>();
    for (const [index, trajectory] of parsed.entries()) {
      if (ids.has(trajectory.id))
        throw new Error(`trajectories.${index}.id: ${JSON.stringify(trajectory.id)} is given twice`);
      ids.add(trajectory.id);
    }
    return parsed;
  }
  return [parseOne(body, '')];
}

/** A design-document outcome as the final reward it stands for, when no reward is given. */
const outcomeRewards = { success: 1, partial_success: 0.5, failure: 0 } as const;

interface Conversation {
  id: string;
  agent: string;
  task: string | undefined;
  taskId: string | undefined;
  model: string;
  reward: number | undefined;
  tools: unknown[] | undefined;
  startMillis: number;
  /** Messages in order; each with the time it happened at, when the source says. */
  messages: Array<{ message: ChatMessage; atMillis?: number }>;
}

function toConversation(trajectory: ImportTrajectory, nowMillis: number): Conversation {
  if ('messages' in trajectory) {
    return {
      id: trajectory.id,
      agent: trajectory.agent ?? 'imported',
      task: trajectory.task,
      taskId: trajectory.task_id,
      model: trajectory.model ?? '',
      reward: trajectory.reward,
      tools: trajectory.tools,
      startMillis: trajectory.start_time ? Date.parse(trajectory.start_time) : nowMillis,
      messages: trajectory.messages.map((message) => ({ message })),
    };
  }
  const { metadata, turns, initial_context: initialContext } = trajectory.data;
  const messages: Conversation['messages'] = [];
  if (initialContext) messages.push({ message: { role: 'system', content: initialContext } });
  for (const turn of turns) {
    const atMillis = turn.timestamp ? Date.parse(turn.timestamp) : undefined;
    if (turn.user_message !== undefined)
      messages.push({ message: { role: 'user', content: turn.user_message }, atMillis });
    for (const message of turn.assistant_messages) messages.push({ message, atMillis });
    for (const result of turn.tool_results) {
      const value = result.content ?? result.output ?? result.result ?? '';
      messages.push({
        message: {
          role: 'tool',
          tool_call_id: result.tool_call_id,
          content: typeof value === 'string' ? value : JSON.stringify(value),
          ...(result.is_error ? { is_error: true } : {}),
        },
        atMillis,
      });
    }
  }
  const firstUser = turns.find((turn) => turn.user_message !== undefined)?.user_message;
  return {
    id: trajectory.id,
    agent: trajectory.agent_id,
    task: trajectory.task ?? firstUser,
    taskId: trajectory.task_id,
    model: trajectory.model ?? '',
    reward: trajectory.reward ?? (metadata?.outcome !== undefined ? outcomeRewards[metadata.outcome] : undefined),
    tools: undefined,
    startMillis: metadata?.start_time ? Date.parse(metadata.start_time) : (messages[0]?.atMillis ?? nowMillis),
    messages,
  };
}

function contentText(content: ChatMessage['content']): string {
  if (content === null || content === undefined) return '';
  if (typeof content === 'string') return content;
  return content.map((part) => part.text ?? '').join('');
}

/** A chat message in the GenAI conventions' message shape (role and parts). */
function genAiMessage(message: ChatMessage): Record<string, unknown> {
  if (message.role === 'tool')
    return {
      role: 'tool',
      parts: [{ type: 'tool_call_response', id: message.tool_call_id, response: contentText(message.content) }],
    };
  const parts: Array<Record<string, unknown>> = [];
  const body = contentText(message.content);
  if (body !== '') parts.push({ type: 'text', content: body });
  if (message.role === 'assistant')
    for (const call of message.tool_calls ?? []) {
      const args = call.function.arguments;
      parts.push({
        type: 'tool_call',
        id: call.id,
        name: call.function.name,
        arguments: typeof args === 'string' ? parseArguments(args) : args,
      });
    }
  return {
    role: message.role,
    parts,
    ...(message.role === 'assistant' ? { finish_reason: finishReason(message) } : {}),
  };
}

function parseArguments(args: string): unknown {
  try {
    return JSON.parse(args) as unknown;
  } catch {
    return args;
  }
}

const finishReason = (message: ChatMessage & { role: 'assistant' }) =>
  (message.tool_calls?.length ?? 0) > 0 ? 'tool_calls' : 'stop';

/** 16 or 32 lowercase hex characters derived from the tenant, the import id and a label. */
function derivedId(tenant: string, id: string, label: string, length: 16 | 32): string {
  const hex = createHash('sha256').update(`${tenant}\u0000${id}\u0000${label}`).digest('hex').slice(0, length);
  // An all-zero id is invalid in OTLP; a sha256 prefix of that is as likely as any other, so guard anyway.
  return /^0+$/.test(hex) ? `${'0'.repeat(length - 1)}1` : hex;
}

const resource = { attributes: { 'service.name': 'trajectories-import' }, droppedAttributesCount: 0 };
const scope = { name: 'agent-trajectories/import', version: '1', attributes: {} };

function span(
  traceId: string,
  spanId: string,
  parentSpanId: string,
  name: string,
  kind: OtlpSpanKind,
  startMillis: number,
  endMillis: number,
  attributes: Attributes,
  error = false,
): OtlpSpan {
  return {
    resource,
    scope,
    traceId,
    spanId,
    parentSpanId,
    traceState: '',
    flags: 1,
    name,
    kind,
    startTimeUnixNano: BigInt(Math.round(startMillis)) * 1_000_000n,
    endTimeUnixNano: BigInt(Math.round(endMillis)) * 1_000_000n,
    attributes,
    droppedAttributesCount: 0,
    events: [],
    droppedEventsCount: 0,
    links: [],
    droppedLinksCount: 0,
    status: { code: error ? 'error' : 'unset', message: '' },
  };
}

export interface ImportedTrajectory {
  /** The client's id. */
  id: string;
  trace_id: string;
  /** The trajectory id the API and exports know it by. */
  trajectory_id: string;
  spans: OtlpSpan[];
}

/**
 * The spans of one imported trajectory. Steps without timestamps are placed one millisecond apart from the start
 * (so their order is kept), and have no duration: imported calls carry no latency.
 */
export function importedSpans(
  tenant: string,
  trajectory: ImportTrajectory,
  nowMillis = Date.now(),
): ImportedTrajectory {
  const conversation = toConversation(trajectory, nowMillis);
  const traceId = derivedId(tenant, conversation.id, 'trace', 32);
  const agentSpanId = derivedId(tenant, conversation.id, 'agent', 16);
  const spans: OtlpSpan[] = [];
  let clock = conversation.startMillis;
  const tick = (at: number | undefined) => {
    clock = Math.max(clock + 1, at ?? clock + 1);
    return clock;
  };
  const toolNames = new Map<string, string>();
  const history: Array<Record<string, unknown>> = [];
  conversation.messages.forEach(({ message, atMillis }, index) => {
    if (message.role === 'assistant') {
      for (const call of message.tool_calls ?? []) toolNames.set(call.id, call.function.name);
      const at = tick(atMillis);
      const attributes: Attributes = {
        'gen_ai.operation.name': 'chat',
        'gen_ai.input.messages': JSON.stringify(history),
        'gen_ai.output.messages': JSON.stringify([genAiMessage(message)]),
        'gen_ai.response.finish_reasons': [finishReason(message)],
        'trajectory.import.id': conversation.id,
      };
      if (conversation.model) attributes['gen_ai.request.model'] = conversation.model;
      if (conversation.tools) attributes['gen_ai.tool.definitions'] = JSON.stringify(conversation.tools);
      spans.push(
        span(
          traceId,
          derivedId(tenant, conversation.id, `message ${index}`, 16),
          agentSpanId,
          'chat',
          'client',
          at,
          at,
          attributes,
        ),
      );
    } else if (message.role === 'tool') {
      const at = tick(atMillis);
      const name = toolNames.get(message.tool_call_id) ?? 'tool';
      const failed = (message as { is_error?: boolean }).is_error === true;
      spans.push(
        span(
          traceId,
          derivedId(tenant, conversation.id, `message ${index}`, 16),
          agentSpanId,
          `execute_tool ${name}`,
          'internal',
          at,
          at,
          {
            'gen_ai.operation.name': 'execute_tool',
            'gen_ai.tool.name': name,
            'gen_ai.tool.call.id': message.tool_call_id,
            'gen_ai.tool.call.result': contentText(message.content),
          },
          failed,
        ),
      );
    }
    history.push(genAiMessage(message));
  });
  const end = tick(undefined);
  if (conversation.reward !== undefined)
    spans.push(
      span(
        traceId,
        derivedId(tenant, conversation.id, 'reward', 16),
        agentSpanId,
        'agentlightning.annotation',
        'internal',
        end,
        end,
        {
          'agentlightning.reward.0.name': 'primary',
          'agentlightning.reward.0.value': conversation.reward,
        },
      ),
    );
  const agentAttributes: Attributes = {
    'gen_ai.operation.name': 'invoke_agent',
    'gen_ai.agent.name': conversation.agent,
    'trajectory.import.id': conversation.id,
  };
  if (conversation.task !== undefined) agentAttributes['trajectory.task.description'] = conversation.task;
  if (conversation.taskId !== undefined) agentAttributes['trajectory.task.id'] = conversation.taskId;
  spans.unshift(
    span(
      traceId,
      agentSpanId,
      '',
      `invoke_agent ${conversation.agent}`,
      'internal',
      conversation.startMillis,
      end,
      agentAttributes,
    ),
  );
  return { id: conversation.id, trace_id: traceId, trajectory_id: `${traceId}-${agentSpanId}`, spans };
}
