/**
 * A `TracingProcessor` for the OpenAI Agents SDK that re-emits its traces as OpenTelemetry GenAI spans, since the
 * SDK does not emit OTel spans itself. One SDK trace becomes one OTel trace, every SDK span one OTel span with the
 * SDK's times and parent (`span-tree.ts`, `otel-spans.ts`), named and described by `span-mapping.ts`. Two places
 * differ from the SDK's tree, both so that the receiver derives the run the way the SDK's user thinks of it:
 * - the agent a handoff transfers to is placed under that handoff's span, so it becomes a child trajectory of the
 *   agent that delegated to it;
 * - a model call made with an instrumented `openai` client is recorded by that instrumentation (the client's
 *   request and response, as for any other call), parented where the SDK's model span sits; the SDK's model span
 *   then adds no second LLM span.
 * Function and handoff spans get the model's tool call id from the agent's ledger. The SDK awaits processors one
 * after the other and does not catch their rejections in every version, so every method runs in a guard and
 * resolves.
 */
import { SpanStatusCode, type Context, type Span } from '@opentelemetry/api';
import {
  ATTR_ERROR_TYPE,
  ATTR_GEN_AI_TOOL_CALL_ARGUMENTS,
  ATTR_GEN_AI_TOOL_CALL_ID,
  ATTR_GEN_AI_TOOL_NAME,
} from '../attributes.ts';
import { setContentAttribute } from '../content.ts';
import { arrayField, isRecord, stringField } from '../genai/messages.ts';
import { guard, reportOnce } from '../guard.ts';
import { instrumentationState } from '../state.ts';
import { isModelSpan, modelToolCalls } from './model-span.ts';
import { childContext, closeTrace, ensureSpan } from './otel-spans.ts';
import {
  isAgentsSpan,
  isAgentsTrace,
  sdkTime,
  type AgentsSpan,
  type AgentsTrace,
  type AgentsTracingProcessor,
} from './sdk-tracing-types.ts';
import { handoffSpanName, recordSpanEnd } from './span-mapping.ts';
import { SpanTree, type SpanRecord } from './span-tree.ts';
import { defaultHandoffToolName, type RequestedToolCall } from './tool-call-ledger.ts';

export class OpenAIAgentsTracingProcessor implements AgentsTracingProcessor {
  private readonly tree = new SpanTree(closeTrace);
  private currentSdkSpan: (() => unknown) | undefined;
  /** False once the SDK dropped this processor (`setTraceProcessors` shuts the processors it replaces down). */
  attached = false;

  /** The SDK's `getCurrentSpan`, to tell which model span an LLM call made through `openai` belongs to. */
  useCurrentSpanLookup(lookup: () => unknown): void {
    this.currentSdkSpan = lookup;
  }

  onTraceStart(sdkTrace: AgentsTrace): Promise<void> {
    guard('openai-agents: recording a trace start', () => {
      if (instrumentationState().enabled && isAgentsTrace(sdkTrace))
        this.tree.trace(sdkTrace.traceId).sdkTrace = sdkTrace;
    });
    return Promise.resolve();
  }

  onTraceEnd(sdkTrace: AgentsTrace): Promise<void> {
    guard('openai-agents: recording a trace end', () => {
      if (!isAgentsTrace(sdkTrace)) return;
      const record = this.tree.take(sdkTrace.traceId);
      if (record && instrumentationState().enabled) closeTrace(record);
    });
    return Promise.resolve();
  }

  onSpanStart(sdkSpan: AgentsSpan): Promise<void> {
    guard('openai-agents: recording a span start', () => {
      if (instrumentationState().enabled && isAgentsSpan(sdkSpan)) this.tree.track(sdkSpan);
    });
    return Promise.resolve();
  }

  onSpanEnd(sdkSpan: AgentsSpan): Promise<void> {
    guard('openai-agents: recording a span end', () => {
      if (!instrumentationState().enabled || !isAgentsSpan(sdkSpan)) return;
      const record = this.tree.track(sdkSpan);
      // The processor can be registered twice (a module loaded as ESM and as CommonJS): record each span once.
      if (record.ended) return;
      record.ended = true;
      this.finish(record);
    });
    return Promise.resolve();
  }

  shutdown(): Promise<void> {
    this.attached = false;
    return Promise.resolve();
  }

  forceFlush(): Promise<void> {
    const provider = instrumentationState().tracerProvider as { forceFlush?: () => Promise<void> } | undefined;
    if (typeof provider?.forceFlush !== 'function') return Promise.resolve();
    return provider.forceFlush().catch((error: unknown) => reportOnce('openai-agents: flushing spans', error));
  }

  /**
   * Where an LLM call that the openai instrumentation is about to record belongs: under the parent of the SDK
   * model span it runs in, which is then not recorded a second time. Undefined outside SDK model spans.
   */
  modelCallParent(): Context | undefined {
    if (!instrumentationState().enabled || !this.currentSdkSpan) return undefined;
    const current = this.currentSdkSpan();
    if (!isAgentsSpan(current) || !isModelSpan(current.spanData)) return undefined;
    // The SDK calls the model right after starting the span, possibly before this processor heard of it.
    const record = this.tree.track(current);
    if (record.ended) return undefined;
    record.delegated = true;
    return childContext(record.parent, record.trace);
  }

  private finish(record: SpanRecord): void {
    const data = record.sdkSpan.spanData;
    let call: RequestedToolCall | undefined;
    if (isModelSpan(data)) {
      const calls = guard('openai-agents: reading the tool calls of a model response', () => modelToolCalls(data));
      if (calls) record.agent?.ledger?.offer(calls);
      if (record.delegated) return;
    } else if (data.type === 'function') {
      call = record.agent?.ledger?.claimFunction(stringField(data, 'name') ?? '', stringField(data, 'input'));
    } else if (data.type === 'handoff') {
      const agentTools = arrayField(record.agent?.sdkSpan.spanData ?? { type: 'agent' }, 'tools') ?? [];
      call = record.agent?.ledger?.claimHandoff(
        stringField(data, 'to_agent'),
        agentTools.filter((name): name is string => typeof name === 'string'),
      );
      record.trace.handoffs.push(record);
    }
    const span = ensureSpan(record);
    guard(`openai-agents: recording a ${data.type} span`, () => recordSpanEnd(span, data));
    if (data.type === 'handoff') recordHandoffCall(span, stringField(data, 'to_agent'), call);
    else if (call) span.setAttribute(ATTR_GEN_AI_TOOL_CALL_ID, call.id);
    const error = record.sdkSpan.error;
    if (error) {
      span.setAttribute(ATTR_ERROR_TYPE, error.message || '_OTHER');
      span.setStatus({ code: SpanStatusCode.ERROR, message: errorMessage(error) });
    } else if (data.type === 'function' || data.type === 'handoff') {
      // The SDK catches a failing tool and records the failure on its span, so a tool span without one succeeded.
      span.setStatus({ code: SpanStatusCode.OK });
    }
    span.end(sdkTime(record.sdkSpan.endedAt));
  }
}

function recordHandoffCall(span: Span, toAgent: string | undefined, call: RequestedToolCall | undefined): void {
  const toolName = call?.name ?? (toAgent === undefined ? undefined : defaultHandoffToolName(toAgent));
  span.updateName(handoffSpanName(toAgent, toolName));
  if (toolName !== undefined) span.setAttribute(ATTR_GEN_AI_TOOL_NAME, toolName);
  if (!call) return;
  span.setAttribute(ATTR_GEN_AI_TOOL_CALL_ID, call.id);
  if (call.arguments !== '') setContentAttribute(span, ATTR_GEN_AI_TOOL_CALL_ARGUMENTS, call.arguments);
}

function errorMessage(error: { message: string; data?: Record<string, unknown> }): string {
  const detail = isRecord(error.data) ? error.data['error'] : undefined;
  return typeof detail === 'string' && detail !== '' && detail !== error.message
    ? `${error.message}: ${detail}`
    : error.message;
}
