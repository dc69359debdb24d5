/**
 * Where each SDK span sits in the OTel tree. The processor hears of spans out of order and more than once (the SDK
 * calls the model before this processor hears of the model span; a processor registered twice hears everything
 * twice), so every span gets one record, created the first time it is seen, with its OTel parent resolved then:
 * the SDK's parent, except for an agent a handoff transfers to, which goes under that handoff (the SDK makes it a
 * sibling of the agent that handed off). Records live until their trace ends; traces the SDK never ends are
 * evicted once too many are open.
 */
import { context, type Context, type Span } from '@opentelemetry/api';
import { stringField } from '../genai/messages.ts';
import { sdkTime, type AgentsSpan, type AgentsTrace } from './sdk-tracing-types.ts';
import { ToolCallLedger } from './tool-call-ledger.ts';

/** Traces the SDK never ended (a crashed run) are evicted once this many are open, oldest first. */
const MAX_OPEN_TRACES = 1000;

export interface TraceRecord {
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

export interface SpanRecord {
  sdkSpan: AgentsSpan;
  trace: TraceRecord;
  /** The OTel parent; undefined under the trace's root span. */
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

export class SpanTree {
  private readonly traces = new Map<string, TraceRecord>();

  constructor(private readonly onEvict: (traceRecord: TraceRecord) => void) {}

  /** The trace's record, created (in the active context) the first time the trace or one of its spans is seen. */
  trace(traceId: string, firstSpan?: AgentsSpan): TraceRecord {
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
      this.onEvict(oldest);
    }
    return record;
  }

  /** Removes and returns the trace's record when the trace ends. */
  take(traceId: string): TraceRecord | undefined {
    const record = this.traces.get(traceId);
    this.traces.delete(traceId);
    return record;
  }

  /** The record of an SDK span, created the first time the span is seen (start, end or a model call). */
  track(sdkSpan: AgentsSpan): SpanRecord {
    const traceRecord = this.trace(sdkSpan.traceId, sdkSpan);
    const existing = traceRecord.spans.get(sdkSpan.spanId);
    if (existing) return existing;
    const isAgent = sdkSpan.spanData.type === 'agent';
    const handoff = isAgent ? takeHandoffTo(traceRecord, sdkSpan) : undefined;
    const parent = handoff ?? (sdkSpan.parentId === null ? undefined : traceRecord.spans.get(sdkSpan.parentId));
    const record: SpanRecord = {
      sdkSpan,
      trace: traceRecord,
      parent,
      agent: undefined,
      ledger: isAgent ? new ToolCallLedger() : undefined,
      reparented: handoff !== undefined,
      span: undefined,
      context: undefined,
      ended: false,
      delegated: false,
    };
    record.agent = isAgent ? record : parent?.agent;
    traceRecord.spans.set(sdkSpan.spanId, record);
    return record;
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
