/**
 * Creates the OTel spans of the span tree, each when its first child needs its context or when it ends, with the
 * SDK's start time, so a span's attributes can come from span data the SDK filled while it ran. The trace's root
 * span is a child of the context the application had when the trace began (an enclosing `trajectory()`, a request
 * span), so one SDK trace is one OTel trace. An agent's context carries its conversation id (the trace's group id)
 * for the spans other instrumentations record inside it, as `trajectory()` does.
 */
import { trace, type Attributes, type Context, type Span } from '@opentelemetry/api';
import { ATTR_GEN_AI_CONVERSATION_ID } from '../attributes.ts';
import { setContentAttribute } from '../content.ts';
import { isRecord, stringField } from '../genai/messages.ts';
import { currentTracer } from '../state.ts';
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
import { sdkTime } from './sdk-tracing-types.ts';
import { describeSpan } from './span-mapping.ts';
import type { SpanRecord, TraceRecord } from './span-tree.ts';

/** The context children of `record` (of the trace's root span when undefined) start in. */
export function childContext(record: SpanRecord | undefined, traceRecord: TraceRecord): Context {
  if (!record) return traceContext(traceRecord);
  ensureSpan(record);
  return record.context ?? traceContext(traceRecord);
}

/** The record's OTel span, started now (with the SDK's start time) unless it already was. */
export function ensureSpan(record: SpanRecord): Span {
  if (record.span) return record.span;
  const parentContext = childContext(record.parent, record.trace);
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
  let spanContext = trace.setSpan(parentContext, span);
  if (data.type === 'agent') {
    const enclosing = currentTrajectory(parentContext);
    spanContext = contextWithTrajectory(spanContext, {
      span,
      agentName: stringField(data, 'name') ?? 'agent',
      conversationId,
      rolloutId: enclosing?.rolloutId,
      attemptId: enclosing?.attemptId,
    });
  }
  record.context = spanContext;
  return span;
}

function traceContext(traceRecord: TraceRecord): Context {
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
export function closeTrace(traceRecord: TraceRecord): void {
  for (const record of traceRecord.spans.values()) {
    if (record.span && !record.ended) {
      record.ended = true;
      record.span.end();
    }
  }
  traceRecord.span?.end();
}

/** `groupId` links the traces of one conversation (a chat thread id): their `gen_ai.conversation.id`. */
function groupIdOf(traceRecord: TraceRecord): string | undefined {
  return nonEmpty(traceRecord.sdkTrace?.groupId);
}

function nonEmpty(value: unknown): string | undefined {
  return typeof value === 'string' && value !== '' ? value : undefined;
}
