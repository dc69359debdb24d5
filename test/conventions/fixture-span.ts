/**
 * Test helper: an `OtlpSpan` with neutral defaults, for conventions whose real emitters cannot run here
 * (Python-only SDKs, deprecated formats). Tests only spell out the attributes under test.
 */
import type { Attributes, OtlpEvent, OtlpSpan } from '../../src/model/otlp.ts';

export interface FixtureOptions {
  name?: string;
  attributes?: Attributes;
  resourceAttributes?: Attributes;
  events?: Array<{ name: string; attributes: Attributes }>;
}

export function fixtureSpan(options: FixtureOptions = {}): OtlpSpan {
  const events: OtlpEvent[] = (options.events ?? []).map((event, index) => ({
    timeUnixNano: 1_000n + BigInt(index),
    name: event.name,
    attributes: event.attributes,
    droppedAttributesCount: 0,
  }));
  return {
    resource: { attributes: options.resourceAttributes ?? { 'service.name': 'agent' }, droppedAttributesCount: 0 },
    scope: { name: 'fixture', version: '', attributes: {} },
    traceId: '0af7651916cd43dd8448eb211c80319c',
    spanId: 'b7ad6b7169203331',
    parentSpanId: '',
    traceState: '',
    flags: 1,
    name: options.name ?? 'span',
    kind: 'internal',
    startTimeUnixNano: 1_000n,
    endTimeUnixNano: 2_000n,
    attributes: options.attributes ?? {},
    droppedAttributesCount: 0,
    events,
    droppedEventsCount: 0,
    links: [],
    droppedLinksCount: 0,
    status: { code: 'unset', message: '' },
  };
}
