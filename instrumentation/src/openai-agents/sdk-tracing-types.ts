/**
 * The parts of the OpenAI Agents SDK's tracing API (`@openai/agents-core` `tracing/`) this package reads, written
 * out structurally: the instrumentation never imports the SDK it instruments, so these types describe what the
 * SDK hands a `TracingProcessor`, and the guards check it at runtime (the SDK's shapes are a trust boundary: an SDK
 * version that changes them costs attributes, never a failed run). Checked against @openai/agents 0.14 and 0.20,
 * whose tracing interfaces are identical.
 */
import { isRecord } from '../genai/messages.ts';

/** `Trace`: one workflow (`withTrace()`, or the trace `run()` opens). */
export interface AgentsTrace {
  traceId: string;
  name?: string;
  /** Links traces of one conversation (a chat thread id): `gen_ai.conversation.id`. */
  groupId?: string | null;
  metadata?: Record<string, unknown>;
}

/** The span data every span carries; `type` says which of the SDK's span kinds it is. */
export interface AgentsSpanData {
  type: string;
  [field: string]: unknown;
}

/** `Span<SpanData>`: its data is mutable while it runs (the SDK fills `output`, `to_agent`, `_response` late). */
export interface AgentsSpan {
  traceId: string;
  spanId: string;
  parentId: string | null;
  spanData: AgentsSpanData;
  /** ISO timestamps the SDK records in `start()` / `end()`. */
  startedAt: string | null;
  endedAt: string | null;
  error: { message: string; data?: Record<string, unknown> } | null;
}

/** The SDK's `TracingProcessor` interface, which `addTraceProcessor()` accepts. */
export interface AgentsTracingProcessor {
  onTraceStart(trace: AgentsTrace): Promise<void>;
  onTraceEnd(trace: AgentsTrace): Promise<void>;
  onSpanStart(span: AgentsSpan): Promise<void>;
  onSpanEnd(span: AgentsSpan): Promise<void>;
  shutdown(timeout?: number): Promise<void>;
  forceFlush(): Promise<void>;
}

export function isAgentsTrace(value: unknown): value is AgentsTrace {
  return isRecord(value) && typeof value['traceId'] === 'string';
}

export function isAgentsSpan(value: unknown): value is AgentsSpan {
  if (!isRecord(value)) return false;
  // Getters on the SDK's class: read each once.
  const spanData: unknown = value['spanData'];
  return (
    typeof value['traceId'] === 'string' &&
    typeof value['spanId'] === 'string' &&
    isRecord(spanData) &&
    typeof spanData['type'] === 'string'
  );
}

/** An ISO timestamp as a Date, or undefined when absent or unparsable (the OTel SDK then uses the current time). */
export function sdkTime(iso: string | null | undefined): Date | undefined {
  if (typeof iso !== 'string') return undefined;
  const time = new Date(iso);
  return Number.isNaN(time.getTime()) ? undefined : time;
}
