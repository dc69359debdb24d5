import { describe, expect, it } from 'vitest';
import { decodeLogsJson, decodeTracesJson, type DecodeLimits } from '../../collector/otlp/index.ts';

const limits: DecodeLimits = { maxAttributeBytes: 1024 * 1024 };

/** The spec's example request (opentelemetry-proto examples/trace.json), lowerCamelCase and integer enums. */
const specExample = {
  resourceSpans: [
    {
      resource: { attributes: [{ key: 'service.name', value: { stringValue: 'my.service' } }] },
      scopeSpans: [
        {
          scope: {
            name: 'my.library',
            version: '1.0.0',
            attributes: [{ key: 'my.scope.attribute', value: { stringValue: 'some scope attribute' } }],
          },
          spans: [
            {
              traceId: '5B8EFFF798038103D269B633813FC60C',
              spanId: 'EEE19B7EC3C1B174',
              parentSpanId: 'EEE19B7EC3C1B173',
              name: "I'm a server span",
              startTimeUnixNano: '1544712660000000000',
              endTimeUnixNano: '1544712661000000000',
              kind: 2,
              attributes: [{ key: 'my.span.attr', value: { stringValue: 'some value' } }],
            },
          ],
        },
      ],
    },
  ],
};

describe('OTLP/JSON encodings beyond what the JS exporter emits', () => {
  it('decodes the spec example, lower-casing hex ids', () => {
    const decoded = decodeTracesJson(JSON.stringify(specExample), limits);
    expect(decoded.rejected).toBe(0);
    expect(decoded.spans).toEqual([
      {
        resource: { attributes: { 'service.name': 'my.service' }, droppedAttributesCount: 0 },
        scope: { name: 'my.library', version: '1.0.0', attributes: { 'my.scope.attribute': 'some scope attribute' } },
        traceId: '5b8efff798038103d269b633813fc60c',
        spanId: 'eee19b7ec3c1b174',
        parentSpanId: 'eee19b7ec3c1b173',
        traceState: '',
        flags: 0,
        name: "I'm a server span",
        kind: 'server',
        startTimeUnixNano: 1544712660000000000n,
        endTimeUnixNano: 1544712661000000000n,
        attributes: { 'my.span.attr': 'some value' },
        droppedAttributesCount: 0,
        events: [],
        droppedEventsCount: 0,
        links: [],
        droppedLinksCount: 0,
        status: { code: 'unset', message: '' },
      },
    ]);
  });

  it('accepts snake_case keys, enum names and int64 values as strings or numbers', () => {
    const body = {
      resource_spans: [
        {
          scope_spans: [
            {
              spans: [
                {
                  trace_id: '5b8efff798038103d269b633813fc60c',
                  span_id: 'eee19b7ec3c1b174',
                  parent_span_id: '',
                  name: 'snake',
                  kind: 'SPAN_KIND_CLIENT',
                  start_time_unix_nano: 1544712660000000000,
                  end_time_unix_nano: '1544712661000000000',
                  status: { code: 'STATUS_CODE_ERROR', message: 'boom' },
                  dropped_attributes_count: 2,
                  attributes: [
                    { key: 'max', value: { int_value: '9223372036854775807' } },
                    { key: 'min', value: { intValue: '-9223372036854775808' } },
                    { key: 'small', value: { intValue: '42' } },
                    { key: 'nan', value: { doubleValue: 'NaN' } },
                    { key: 'inf', value: { double_value: '-Infinity' } },
                    { key: 'bytes', value: { bytesValue: 'AAEC/w==' } },
                    { key: 'kv', value: { kvlist_value: { values: [{ key: 'a', value: { array_value: {} } }] } } },
                    { key: 'empty', value: {} },
                    { key: 'absent' },
                  ],
                  events: [{ time_unix_nano: '5', name: 'e' }],
                },
              ],
            },
          ],
        },
      ],
    };
    const [span] = decodeTracesJson(JSON.stringify(body), limits).spans;
    expect(span).toMatchObject({
      name: 'snake',
      kind: 'client',
      parentSpanId: '',
      startTimeUnixNano: 1544712660000000000n,
      endTimeUnixNano: 1544712661000000000n,
      status: { code: 'error', message: 'boom' },
      droppedAttributesCount: 2,
      events: [{ timeUnixNano: 5n, name: 'e', attributes: {}, droppedAttributesCount: 0 }],
    });
    expect(span?.attributes).toEqual({
      max: 9223372036854775807n,
      min: -9223372036854775808n,
      small: 42,
      nan: Number.NaN,
      inf: -Infinity,
      bytes: new Uint8Array([0, 1, 2, 255]),
      kv: { a: [] },
      empty: null,
      absent: null,
    });
  });

  it('rejects an int64 attribute outside the int64 range', () => {
    const body = structuredClone(specExample);
    body.resourceSpans[0]!.scopeSpans[0]!.spans[0]!.attributes = [
      { key: 'too.big', value: { intValue: '9223372036854775808' } as never },
    ];
    expect(() => decodeTracesJson(JSON.stringify(body), limits)).toThrow(
      'resourceSpans[0].scopeSpans[0].spans[0].attributes[0].value.intValue: expected an int64',
    );
  });

  it('keeps an attribute named __proto__ as data without touching the prototype', () => {
    const body = structuredClone(specExample);
    body.resourceSpans[0]!.scopeSpans[0]!.spans[0]!.attributes = [
      {
        key: '__proto__',
        value: { kvlistValue: { values: [{ key: 'polluted', value: { boolValue: true } }] } } as never,
      },
    ];
    const [span] = decodeTracesJson(JSON.stringify(body), limits).spans;
    const attributes = span!.attributes;
    expect(Object.getPrototypeOf(attributes)).toBe(Object.prototype);
    expect(Object.getOwnPropertyDescriptor(attributes, '__proto__')?.value).toEqual({ polluted: true });
    expect(({} as Record<string, unknown>)['polluted']).toBeUndefined();
  });

  it('rejects a span whose hex ids have the wrong length instead of failing the request', () => {
    const body = structuredClone(specExample);
    body.resourceSpans[0]!.scopeSpans[0]!.spans[0]!.traceId = 'abcd';
    const decoded = decodeTracesJson(JSON.stringify(body), limits);
    expect(decoded.spans).toEqual([]);
    expect(decoded.rejectionMessages).toEqual([
      'span "I\'m a server span" (eee19b7ec3c1b174): trace id is 2 bytes, expected 16',
    ]);
  });

  it('decodes logs with the event name field, severity names and all-zero ids meaning "no trace"', () => {
    const body = {
      resourceLogs: [
        {
          scopeLogs: [
            {
              logRecords: [
                {
                  timeUnixNano: '1',
                  severityNumber: 'SEVERITY_NUMBER_WARN2',
                  eventName: 'gen_ai.user.message',
                  body: { stringValue: 'hello' },
                  traceId: '00000000000000000000000000000000',
                  spanId: '0000000000000000',
                },
              ],
            },
          ],
        },
      ],
    };
    const decoded = decodeLogsJson(JSON.stringify(body), limits);
    expect(decoded.logs[0]).toMatchObject({
      timeUnixNano: 1n,
      severityNumber: 14,
      eventName: 'gen_ai.user.message',
      body: 'hello',
      traceId: '',
      spanId: '',
    });
  });
});
