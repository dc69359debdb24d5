/**
 * A `TracingProcessor` for the OpenAI Agents SDK that re-emits its traces as OpenTelemetry GenAI spans, since the
 * SDK does not emit OTel spans itself. One SDK trace becomes one OTel trace: a root span for the trace, then every
 * SDK span as an OTel span with the SDK's own start and end times and parent, created when its first child needs
 * it or when it ends (the SDK fills span data while a span runs). Two places differ from the SDK's tree, both so
 * that the receiver derives the run the way the SDK's user thinks of it:
 * - the agent a handoff transfers to is placed under that handoff's span (the SDK makes it a sibling of the agent
 *   that handed off), so it becomes a child trajectory of the agent that delegated to it;
 * - a model call made with an instrumented `openai` client is recorded by that instrumentation (the client's
 *   request and response, as for any other call), parented where the SDK's model span sits; the SDK's model span
 *   then adds no second LLM span.
 * The SDK awaits processors one after the other and does not catch their rejections in every version, so every
 * method runs inside a guard and resolves.
 */
import { context, SpanStatusCode, trace, type Attributes, type Context, type Span } from '@opentelemetry/api';
import {
  ATTR_ERROR_TYPE,
  ATTR_GEN_AI_CONVERSATION_ID,
  ATTR_GEN_AI_TOOL_CALL_ARGUMENTS,
  ATTR_GEN_AI_TOOL_CALL_ID,
  ATTR_GEN_AI_TOOL_NAME,
} from '../attributes.ts';
import { setContentAttribute } from '../content.ts';
import { arrayField, isRecord, stringField } from '../genai/messages.ts';
import { guard, reportOnce } from '../guard.ts';
import { currentTracer, instrumentationState } from '../state.ts';
import {
  contextWithTrajectory,
  currentTrajectory,
  trajectoryInheritedAttributes,
} from '../trajectory/trajectory-context.ts';
import {
  ATTR_OPENAI_AGENTS_PARENT_SPAN_ID,
  ATTR_OPENAI_AGENTS_SPAN_ID,
  ATTR_OPENAI_AGENTS_SPAN_TYPE,
  ATTR_OPENAI_AGENTS_TRACE_ID,
  ATTR_OPENAI_AGENTS_TRACE_METADATA,
} from './agents-attributes.ts';
import { isModelSpan, modelToolCalls } from './model-span.ts';
import {
  isAgentsSpan,
  isAgentsTrace,
  sdkTime,
  type AgentsSpan,
  type AgentsTrace,
  type AgentsTracingProcessor,
} from './sdk-tracing-types.ts';
import { describeSpan, handoffSpanName, recordSpanEnd } from './span-mapping.ts';
import { defaultHandoffToolName, ToolCallLedger, type RequestedToolCall } from './tool-call-ledger.ts';

/** Traces the SDK never ended (a crashed run) are closed once this many are open, oldest first. */
const MAX_OPEN_TRACES = 1000;

interface TraceRecord {
  traceId: string;
  /** The SDK's trace, read when spans are created: a run applies its overrides (group id, name) after start. */
  sdkTrace: AgentsTrace | undefined;
  /** The application's context when the trace began: the OTel parent of the trace's root span. */
  baseContext: Context;
  startTime: Date;
  span: Span | undefined;
  context: Context | undefined;
  spans: Map<string, SpanRecord>;
  /** Ended handoff spans whose target agent has not started yet. */
  handoffs: SpanRecord[];
}

interface SpanRecord {
  sdkSpan: AgentsSpan;
  trace: TraceRecord;
  /** The OTel parent; undefined for the trace's root span. */
  parent: SpanRecord | undefined;
  /** The nearest agent span (itself for an agent span), whose ledger its tool spans claim call ids from. */
  agent: SpanRecord | undefined;
  ledger: ToolCallLedger | undefined;
  /** Set on an agent placed under the handoff that started it. */
  reparented: boolean;
  span: Span | undefined;
  context: Context | undefined;
  ended: boolean;
  /** A model span whose LLM call the openai instrumentation recorded. */
  delegated: boolean;
}

export class OpenAIAgentsTracingProcessor implements AgentsTracingProcessor {
  private readonly traces = new Map<string, TraceRecord>();
  private currentSdkSpan: (() => unknown) | undefined;
  /** False once the SDK dropped this processor (`setTraceProcessors` shuts the processors it replaces down). */
  attached = false;

  /** The SDK's `getCurrentSpan`, to tell which model span an LLM call made through `openai` belongs to. */
  useCurrentSpanLookup(lookup: () => unknown): void {
    this.currentSdkSpan = lookup;
  }

  onTraceStart(sdkTrace: AgentsTrace): Promise<void> {
    guard('openai-agents: recording a trace start', () => {
      if (!instrumentationState().enabled || !isAgentsTrace(sdkTrace)) return;
      this.traceRecord(sdkTrace.traceId, undefined).sdkTrace = sdkTrace;
    });
    return Promise.resolve();
  }

  onTraceEnd(sdkTrace: AgentsTrace): Promise<void> {
    guard('openai-agents: recording a trace end', () => {
      if (!isAgentsTrace(sdkTrace)) return;
      const record = this.traces.get(sdkTrace.traceId);
      if (!record) return;
      this.traces.delete(sdkTrace.traceId);
      if (instrumentationState().enabled) this.closeTrace(record);
    });
    return Promise.resolve();
  }

  onSpanStart(sdkSpan: AgentsSpan): Promise<void> {
    guard('openai-agents: recording a span start', () => {
      if (instrumentationState().enabled && isAgentsSpan(sdkSpan)) this.track(sdkSpan);
    });
    return Promise.resolve();
  }

  onSpanEnd(sdkSpan: AgentsSpan): Promise<void> {
    guard('openai-agents: recording a span end', () => {
      if (!instrumentationState().enabled || !isAgentsSpan(sdkSpan)) return;
      const record = this.track(sdkSpan);
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
    const record = this.track(current);
    if (record.ended) return undefined;
    record.delegated = true;
    return this.childContext(record.parent, record.trace);
  }

  private traceRecord(traceId: string, firstSpan: AgentsSpan | undefined): TraceRecord {
    const existing = this.traces.get(traceId);
    if (existing) return existing;
    const record: TraceRecord = {
      traceId,
      sdkTrace: undefined,
      baseContext: context.active(),
      startTime: sdkTime(firstSpan?.startedAt) ?? new Date(),
      span: undefined,
      context: undefined,
      spans: new Map(),
      handoffs: [],
    };
    this.traces.set(traceId, record);
    if (this.traces.size > MAX_OPEN_TRACES) {
      const [oldestId, oldest] = this.traces.entries().next().value as [string, TraceRecord];
      this.traces.delete(oldestId);
      this.closeTrace(oldest);
    }
    return record;
  }

  /** The record of an SDK span, created the first time the span is seen (start, end or a model call). */
  private track(sdkSpan: AgentsSpan): SpanRecord {
    const traceRecord = this.traceRecord(sdkSpan.traceId, sdkSpan);
    const existing = traceRecord.spans.get(sdkSpan.spanId);
    if (existing) return existing;
    const data = sdkSpan.spanData;
    let parent = sdkSpan.parentId === null ? undefined : traceRecord.spans.get(sdkSpan.parentId);
    let reparented = false;
    if (data.type === 'agent') {
      const handoff = takeHandoffTo(traceRecord, sdkSpan);
      if (handoff) {
        parent = handoff;
        reparented = true;
      }
    }
    const record: SpanRecord = {
      sdkSpan,
      trace: traceRecord,
      parent,
      agent: undefined,
      ledger: data.type === 'agent' ? new ToolCallLedger() : undefined,
      reparented,
      span: undefined,
      context: undefined,
      ended: false,
      delegated: false,
    };
    record.agent = data.type === 'agent' ? record : parent?.agent;
    traceRecord.spans.set(sdkSpan.spanId, record);
    return record;
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
    const span = this.ensureSpan(record);
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

  /** The context children of `record` (or of the trace, for root spans) start in; creates the OTel span. */
  private childContext(record: SpanRecord | undefined, traceRecord: TraceRecord): Context {
    if (!record) return this.traceContext(traceRecord);
    this.ensureSpan(record);
    return record.context ?? this.traceContext(traceRecord);
  }

  private ensureSpan(record: SpanRecord): Span {
    if (record.span) return record.span;
    const parentContext = this.childContext(record.parent, record.trace);
    const data = record.sdkSpan.spanData;
    const description = describeSpan(data);
    const conversationId = groupIdOf(record.trace) ?? currentTrajectory(parentContext)?.conversationId;
    const attributes: Attributes = {
      ...trajectoryInheritedAttributes(parentContext),
      ...description.attributes,
      [ATTR_OPENAI_AGENTS_SPAN_ID]: record.sdkSpan.spanId,
      [ATTR_OPENAI_AGENTS_TRACE_ID]: record.sdkSpan.traceId,
    };
    if (conversationId !== undefined) attributes[ATTR_GEN_AI_CONVERSATION_ID] = conversationId;
    if (record.reparented && record.sdkSpan.parentId !== null)
      attributes[ATTR_OPENAI_AGENTS_PARENT_SPAN_ID] = record.sdkSpan.parentId;
    const span = currentTracer().startSpan(
      description.name,
      { kind: description.kind, attributes, startTime: sdkTime(record.sdkSpan.startedAt) },
      parentContext,
    );
    record.span = span;
    let childContext = trace.setSpan(parentContext, span);
    if (data.type === 'agent') {
      // Spans recorded inside the agent by other instrumentations (its model calls) repeat its conversation id.
      const enclosing = currentTrajectory(parentContext);
      childContext = contextWithTrajectory(childContext, {
        span,
        agentName: stringField(data, 'name') ?? 'agent',
        conversationId,
        rolloutId: enclosing?.rolloutId,
        attemptId: enclosing?.attemptId,
      });
    }
    record.context = childContext;
    return span;
  }

  private traceContext(traceRecord: TraceRecord): Context {
    if (traceRecord.context) return traceRecord.context;
    const attributes: Attributes = {
      ...trajectoryInheritedAttributes(traceRecord.baseContext),
      [ATTR_OPENAI_AGENTS_SPAN_TYPE]: 'trace',
      [ATTR_OPENAI_AGENTS_TRACE_ID]: traceRecord.traceId,
    };
    const groupId = groupIdOf(traceRecord);
    if (groupId !== undefined) attributes[ATTR_GEN_AI_CONVERSATION_ID] = groupId;
    const span = currentTracer().startSpan(
      nonEmpty(traceRecord.sdkTrace?.name) ?? 'Agent workflow',
      { attributes, startTime: traceRecord.startTime },
      traceRecord.baseContext,
    );
    const metadata = traceRecord.sdkTrace?.metadata;
    if (isRecord(metadata) && Object.keys(metadata).length > 0) {
      setContentAttribute(span, ATTR_OPENAI_AGENTS_TRACE_METADATA, metadata);
    }
    traceRecord.span = span;
    traceRecord.context = trace.setSpan(traceRecord.baseContext, span);
    return traceRecord.context;
  }

  /** Ends what the trace left open (spans of a run that failed between start and end) and the root span. */
  private closeTrace(traceRecord: TraceRecord): void {
    for (const record of traceRecord.spans.values()) {
      if (record.span && !record.ended) {
        record.ended = true;
        record.span.end();
      }
    }
    traceRecord.span?.end();
  }
}

/** The ended handoff that names `agentSpan`'s agent as its target, from the same run (a sibling of its agent). */
function takeHandoffTo(traceRecord: TraceRecord, agentSpan: AgentsSpan): SpanRecord | undefined {
  const name = stringField(agentSpan.spanData, 'name');
  const index = traceRecord.handoffs.findIndex(
    (handoff) =>
      stringField(handoff.sdkSpan.spanData, 'to_agent') === name &&
      (handoff.agent?.sdkSpan.parentId ?? null) === agentSpan.parentId,
  );
  if (index < 0) return undefined;
  return traceRecord.handoffs.splice(index, 1)[0];
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

/** `groupId` links the traces of one conversation (a chat thread id): the conversations' `gen_ai.conversation.id`. */
function groupIdOf(traceRecord: TraceRecord): string | undefined {
  return nonEmpty(traceRecord.sdkTrace?.groupId);
}

function nonEmpty(value: unknown): string | undefined {
  return typeof value === 'string' && value !== '' ? value : undefined;
}
