/**
 * Golden agent runs for the trajectory tests, built with the real OpenTelemetry SDK (GenAI semantic conventions)
 * at fixed times relative to `base`, so expected turns, AIR rewards and returns can be computed by hand.
 */
import {
  ROOT_CONTEXT,
  SpanKind,
  SpanStatusCode,
  trace,
  type Context,
  type Span,
  type Tracer,
} from '@opentelemetry/api';

type Part = Record<string, unknown>;
export const text = (content: string): Part => ({ type: 'text', content });
export const call = (id: string | undefined, name: string, args: unknown): Part => ({
  type: 'tool_call',
  ...(id ? { id } : {}),
  name,
  arguments: args,
});
export const response = (id: string, result: string): Part => ({ type: 'tool_call_response', id, response: result });
export const message = (role: string, ...parts: Part[]) => ({ role, parts });

export interface Clock {
  /** Milliseconds since the epoch of `offsetSeconds` after the run's base time. */
  at(offsetSeconds: number): number;
}

export function clock(baseMillis: number): Clock {
  return { at: (offsetSeconds) => baseMillis + offsetSeconds * 1000 };
}

export function agentSpan(
  tracer: Tracer,
  time: Clock,
  start: number,
  attributes: Record<string, string>,
  parent: Context = ROOT_CONTEXT,
): Span {
  return tracer.startSpan(
    `invoke_agent ${attributes['gen_ai.agent.name'] ?? ''}`,
    {
      kind: SpanKind.INTERNAL,
      startTime: time.at(start),
      attributes: { 'gen_ai.operation.name': 'invoke_agent', ...attributes },
    },
    parent,
  );
}

export function chat(
  tracer: Tracer,
  time: Clock,
  parent: Context,
  start: number,
  end: number,
  input: unknown[],
  output: unknown[] | undefined,
  options: { error?: boolean; inputTokens?: number; outputTokens?: number; attributes?: Record<string, string> } = {},
): Span {
  const span = tracer.startSpan(
    'chat gpt-4o',
    {
      kind: SpanKind.CLIENT,
      startTime: time.at(start),
      attributes: {
        'gen_ai.operation.name': 'chat',
        'gen_ai.provider.name': 'openai',
        'gen_ai.request.model': 'gpt-4o',
        'gen_ai.usage.input_tokens': options.inputTokens ?? 10,
        'gen_ai.usage.output_tokens': options.outputTokens ?? 5,
        'gen_ai.input.messages': JSON.stringify(input),
        ...(output ? { 'gen_ai.output.messages': JSON.stringify(output) } : {}),
        ...options.attributes,
      },
    },
    parent,
  );
  if (options.error) span.setStatus({ code: SpanStatusCode.ERROR, message: 'rate limited' });
  span.end(time.at(end));
  return span;
}

export function tool(
  tracer: Tracer,
  time: Clock,
  parent: Context,
  start: number,
  end: number,
  name: string,
  callId: string | undefined,
  args: unknown,
  result: string,
  options: { error?: boolean } = {},
): Span {
  const span = tracer.startSpan(
    `execute_tool ${name}`,
    {
      kind: SpanKind.INTERNAL,
      startTime: time.at(start),
      attributes: {
        'gen_ai.operation.name': 'execute_tool',
        'gen_ai.tool.name': name,
        ...(callId ? { 'gen_ai.tool.call.id': callId } : {}),
        'gen_ai.tool.call.arguments': JSON.stringify(args),
        'gen_ai.tool.call.result': result,
      },
    },
    parent,
  );
  span.setStatus(options.error ? { code: SpanStatusCode.ERROR, message: 'tool failed' } : { code: SpanStatusCode.OK });
  span.end(time.at(end));
  return span;
}

export function rewardSpan(tracer: Tracer, time: Clock, parent: Context, at: number, value: number): Span {
  const span = tracer.startSpan(
    'agentlightning.annotation',
    {
      startTime: time.at(at),
      attributes: { 'agentlightning.reward.0.name': 'task_success', 'agentlightning.reward.0.value': value },
    },
    parent,
  );
  span.end(time.at(at));
  return span;
}

export const inside = (span: Span): Context => trace.setSpan(ROOT_CONTEXT, span);
