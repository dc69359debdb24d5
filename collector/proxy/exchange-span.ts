/**
 * A proxied call as the span the receiver ingests: the GenAI attributes recorded from the exchange
 * (src/proxy/), the identity attributes of the call, the call's timing, and the proxy as its resource and scope,
 * so a proxied call reads like any instrumented one and goes through the same ingest path.
 */
import { randomBytes } from 'node:crypto';
import type { OtlpSpan } from '../../src/model/otlp.ts';
import type { ExchangeRecord } from '../../src/proxy/exchange.ts';
import type { CallIdentity } from './call-identity.ts';

export interface CallTiming {
  startNanos: bigint;
  endNanos: bigint;
}

export const proxyScopeName = 'agent-trajectories/llm-proxy';

export function exchangeSpan(
  record: ExchangeRecord,
  identity: CallIdentity,
  timing: CallTiming,
  upstream: string,
): OtlpSpan {
  return {
    resource: { attributes: { 'service.name': 'trajectories-llm-proxy' }, droppedAttributesCount: 0 },
    scope: { name: proxyScopeName, version: '0.1.0', attributes: {} },
    traceId: identity.traceId,
    spanId: randomBytes(8).toString('hex'),
    parentSpanId: identity.parentSpanId,
    traceState: '',
    flags: 1,
    name: record.name,
    kind: 'client',
    startTimeUnixNano: timing.startNanos,
    endTimeUnixNano: timing.endNanos,
    attributes: { ...record.attributes, ...identity.attributes, 'trajectories.proxy.upstream': upstream },
    droppedAttributesCount: 0,
    events: [],
    droppedEventsCount: 0,
    links: [],
    droppedLinksCount: 0,
    status: { code: record.status, message: record.statusMessage },
  };
}
