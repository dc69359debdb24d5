/**
 * Which trajectory a proxied call belongs to, in the order the caller can say it:
 * 1. a W3C `traceparent` header: the call joins the agent's own trace, as a child of the span it names;
 * 2. Agent Lightning's path segments (`/proxy/<upstream>/rollout/<rollout_id>/attempt/<attempt_id>/v1/...`): the
 *    rollout and attempt ids, which assign the span to that rollout's trajectory, in one trace per attempt;
 * 3. headers: `x-trajectory-id` (every call carrying the same id lands in one trace, so one trajectory),
 *    `x-task-id` and `x-agent-name` (attributes of the span, whichever of the above applies);
 * 4. nothing: a trace of its own, which the stitching rules join to the conversation it continues.
 * Trace ids from 2 and 3 are derived from the ids (SHA-256), so calls of one trajectory meet in one trace without
 * the proxy remembering anything.
 */
import { createHash, randomBytes } from 'node:crypto';
import type { IncomingHttpHeaders } from 'node:http';
import type { Attributes } from '../../src/model/otlp.ts';

export interface CallIdentity {
  traceId: string;
  /** '' for a root span. */
  parentSpanId: string;
  /** What the identity adds to the span: rollout, attempt, conversation, task and agent attributes. */
  attributes: Attributes;
}

const traceparentPattern = /^[0-9a-f]{2}-([0-9a-f]{32})-([0-9a-f]{16})-[0-9a-f]{2}$/;

/** Headers the proxy reads for identity (and does not forward upstream). */
export const identityHeaders = ['x-trajectory-id', 'x-task-id', 'x-agent-name'] as const;

function header(headers: IncomingHttpHeaders, name: string): string | undefined {
  const value = headers[name];
  const text = (Array.isArray(value) ? value[0] : value)?.trim();
  return text === undefined || text === '' ? undefined : text.slice(0, 1000);
}

function derivedTraceId(kind: string, ...parts: string[]): string {
  const hash = createHash('sha256').update(kind);
  for (const part of parts) hash.update('\u0000').update(part);
  return hash.digest('hex').slice(0, 32);
}

/** The trace of the calls that carry `x-trajectory-id: <id>` (and so the id of their trajectory). */
export function traceIdForTrajectoryHeader(id: string): string {
  return derivedTraceId('trajectory', id);
}

/** The trace of one Agent Lightning rollout attempt's calls. */
export function traceIdForRollout(rolloutId: string, attemptId: string): string {
  return derivedTraceId('rollout', rolloutId, attemptId);
}

/** A traceparent's trace and parent span, when it is well formed and not the all-zero invalid ids. */
export function parseTraceparent(value: string | undefined): { traceId: string; spanId: string } | undefined {
  const match = value === undefined ? null : traceparentPattern.exec(value.trim().toLowerCase());
  if (!match) return undefined;
  const [, traceId, spanId] = match as unknown as [string, string, string];
  if (/^0+$/.test(traceId) || /^0+$/.test(spanId) || value?.startsWith('ff')) return undefined;
  return { traceId, spanId };
}

export function callIdentity(
  headers: IncomingHttpHeaders,
  rollout: { rolloutId: string; attemptId: string } | undefined,
): CallIdentity {
  const attributes: Attributes = {};
  const taskId = header(headers, 'x-task-id');
  if (taskId !== undefined) attributes['trajectory.task.id'] = taskId;
  const agentName = header(headers, 'x-agent-name');
  if (agentName !== undefined) attributes['gen_ai.agent.name'] = agentName;
  const trajectoryId = header(headers, 'x-trajectory-id');
  if (trajectoryId !== undefined) attributes['gen_ai.conversation.id'] = trajectoryId;
  if (rollout) {
    attributes['agentlightning.rollout_id'] = rollout.rolloutId;
    attributes['agentlightning.attempt_id'] = rollout.attemptId;
  }
  const parent = parseTraceparent(header(headers, 'traceparent'));
  if (parent) return { traceId: parent.traceId, parentSpanId: parent.spanId, attributes };
  if (rollout)
    return { traceId: derivedTraceId('rollout', rollout.rolloutId, rollout.attemptId), parentSpanId: '', attributes };
  if (trajectoryId !== undefined)
    return { traceId: derivedTraceId('trajectory', trajectoryId), parentSpanId: '', attributes };
  return { traceId: randomBytes(16).toString('hex'), parentSpanId: '', attributes };
}
