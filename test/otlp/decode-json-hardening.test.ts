import { describe, expect, it } from 'vitest';
import {
  decodeLogsJson,
  decodeTracesJson,
  decodeTracesProtobuf,
  type DecodeLimits,
} from '../../collector/otlp/index.ts';
import { ProtobufWriter } from '../../collector/otlp/protobuf-writer.ts';

const limits: DecodeLimits = { maxAttributeBytes: 1024 * 1024 };

const TRACE_ID = '5b8efff798038103d269b633813fc60c';
const SPAN_ID = 'eee19b7ec3c1b174';

/** Every string of the decoded value, keys included, so a test can ask that all of them are well-formed. */
function stringsIn(value: unknown, found: string[] = []): string[] {
  if (typeof value === 'string') found.push(value);
  else if (Array.isArray(value)) for (const item of value) stringsIn(item, found);
  else if (typeof value === 'object' && value !== null && !(value instanceof Uint8Array)) {
    for (const [key, item] of Object.entries(value)) {
      found.push(key);
      stringsIn(item, found);
    }
  }
  return found;
}

describe('OTLP/JSON strings that are not well-formed UTF-16', () => {
  // `\ud83d` alone is the first half of 😀 (a text cut mid-emoji); `\udc00` a second half with no first.
  const cut = 'a\\ud83d';
  const orphan = '\\udc00b';
  const kv = (key: string, value: string) => `{"key":"${key}","value":{"stringValue":"${value}"}}`;

  it('replaces lone surrogates with U+FFFD in every string a span carries', () => {
    const body = `{"resourceSpans":[{
      "resource":{"attributes":[${kv(cut, orphan)}]},
      "scopeSpans":[{"scope":{"name":"${cut}","version":"${orphan}","attributes":[${kv('s', cut)}]},
        "spans":[{"traceId":"${TRACE_ID}","spanId":"${SPAN_ID}","name":"${cut}","traceState":"${orphan}",
          "attributes":[${kv(cut, orphan)},
            {"key":"nested","value":{"kvlistValue":{"values":[{"key":"${orphan}","value":{"arrayValue":{"values":[
              {"stringValue":"${cut}"}]}}}]}}}],
          "events":[{"name":"${cut}","attributes":[${kv('e', orphan)}]}],
          "links":[{"traceId":"${TRACE_ID}","spanId":"${SPAN_ID}","traceState":"${cut}"}],
          "status":{"message":"${orphan}","code":2}}]}]}]}`;
    const decoded = decodeTracesJson(body, limits);
    expect(decoded.rejected).toBe(0);
    const [span] = decoded.spans;
    expect(span).toMatchObject({
      name: 'a\uFFFD',
      traceState: '\uFFFDb',
      status: { message: '\uFFFDb' },
      attributes: { 'a\uFFFD': '\uFFFDb', nested: { '\uFFFDb': ['a\uFFFD'] } },
      resource: { attributes: { 'a\uFFFD': '\uFFFDb' } },
      scope: { name: 'a\uFFFD', version: '\uFFFDb', attributes: { s: 'a\uFFFD' } },
      events: [{ name: 'a\uFFFD', attributes: { e: '\uFFFDb' } }],
      links: [{ traceState: 'a\uFFFD' }],
    });
    expect(stringsIn(span).filter((text) => !text.isWellFormed())).toEqual([]);
  });

  it('keeps well-formed surrogate pairs, escaped or not', () => {
    const body = `{"resourceSpans":[{"scopeSpans":[{"spans":[{"traceId":"${TRACE_ID}","spanId":"${SPAN_ID}",
      "name":"\\ud83d\\ude00 😀"}]}]}]}`;
    expect(decodeTracesJson(body, limits).spans[0]?.name).toBe('😀 😀');
  });

  it('replaces lone surrogates in log records, their bodies and a body passed as a string', () => {
    const body = `{"resourceLogs":[{"scopeLogs":[{"logRecords":[{"severityText":"${cut}","eventName":"${orphan}",
      "body":{"kvlistValue":{"values":[${kv(cut, orphan)}]}},"attributes":[${kv('k', cut)}]}]}]}]}`;
    const [record] = decodeLogsJson(body, limits).logs;
    expect(record).toMatchObject({
      severityText: 'a\uFFFD',
      eventName: '\uFFFDb',
      body: { 'a\uFFFD': '\uFFFDb' },
      attributes: { k: 'a\uFFFD' },
    });
    // A caller may hand over a JS string that already holds the lone surrogate, not its escape.
    const raw = JSON.stringify({
      resourceLogs: [{ scopeLogs: [{ logRecords: [{ body: { stringValue: 'x\ud83d' } }] }] }],
    }).replace('\\ud83d', '\ud83d');
    expect(decodeLogsJson(raw, limits).logs[0]?.body).toBe('x\uFFFD');
  });
});

describe('OTLP/protobuf strings are well-formed already', () => {
  it('decodes invalid UTF-8, including UTF-8-encoded lone surrogates, to U+FFFD', () => {
    // ED A0 BD is how CESU-8 / WTF-8 would write the lone surrogate U+D83D; F0 9F 98 is 😀 cut after 3 of 4 bytes.
    const name = Uint8Array.from([0x61, 0xed, 0xa0, 0xbd, 0x62, 0xf0, 0x9f, 0x98]);
    const span = new ProtobufWriter()
      .bytesField(1, Buffer.from(TRACE_ID, 'hex'))
      .bytesField(2, Buffer.from(SPAN_ID, 'hex'))
      .bytesField(5, name)
      .finish();
    const scopeSpans = new ProtobufWriter().message(2, span).finish();
    const resourceSpans = new ProtobufWriter().message(2, scopeSpans).finish();
    const decoded = decodeTracesProtobuf(new ProtobufWriter().message(1, resourceSpans).finish(), limits);
    const decodedName = decoded.spans[0]?.name ?? '';
    expect(decodedName.isWellFormed()).toBe(true);
    expect(decodedName).toBe('a\uFFFD\uFFFD\uFFFDb\uFFFD');
  });
});

/** An AnyValue of `levels` arrays/kvlists (alternating) around a string, in OTLP/JSON and in protobuf. */
function nestedAnyValue(levels: number): { json: unknown; protobuf: Uint8Array } {
  let json: unknown = { stringValue: 'leaf' };
  let protobuf = new ProtobufWriter().string(1, 'leaf').finish();
  for (let level = 0; level < levels; level++) {
    if (level % 2 === 0) {
      json = { arrayValue: { values: [json] } };
      protobuf = new ProtobufWriter().message(5, new ProtobufWriter().message(1, protobuf).finish()).finish();
    } else {
      json = { kvlistValue: { values: [{ key: 'k', value: json }] } };
      const keyValue = new ProtobufWriter().string(1, 'k').message(2, protobuf).finish();
      protobuf = new ProtobufWriter().message(6, new ProtobufWriter().message(1, keyValue).finish()).finish();
    }
  }
  return { json, protobuf };
}

function spanWithAttribute(value: { json: unknown; protobuf: Uint8Array }): { json: string; protobuf: Uint8Array } {
  const json = JSON.stringify({
    resourceSpans: [
      {
        scopeSpans: [
          {
            spans: [
              { traceId: TRACE_ID, spanId: SPAN_ID, name: 'deep', attributes: [{ key: 'deep', value: value.json }] },
            ],
          },
        ],
      },
    ],
  });
  const keyValue = new ProtobufWriter().string(1, 'deep').message(2, value.protobuf).finish();
  const span = new ProtobufWriter()
    .bytesField(1, Buffer.from(TRACE_ID, 'hex'))
    .bytesField(2, Buffer.from(SPAN_ID, 'hex'))
    .string(5, 'deep')
    .message(9, keyValue)
    .finish();
  const scopeSpans = new ProtobufWriter().message(2, span).finish();
  const resourceSpans = new ProtobufWriter().message(2, scopeSpans).finish();
  return { json, protobuf: new ProtobufWriter().message(1, resourceSpans).finish() };
}

function outcome(decode: () => { spans: unknown[] }): string {
  try {
    return `${decode().spans.length} span`;
  } catch (error) {
    return (error as Error).message;
  }
}

describe('OTLP/JSON AnyValue nesting', () => {
  it('takes 64 levels of arrays and kvlists and refuses the request at 65, as protobuf does, naming the limit', () => {
    const deepest = spanWithAttribute(nestedAnyValue(64));
    expect(outcome(() => decodeTracesJson(deepest.json, limits))).toBe('1 span');
    expect(outcome(() => decodeTracesProtobuf(deepest.protobuf, limits))).toBe('1 span');

    const tooDeep = spanWithAttribute(nestedAnyValue(65));
    expect(outcome(() => decodeTracesJson(tooDeep.json, limits))).toBe(
      'resourceSpans[0].scopeSpans[0].spans[0].attributes[0].value: AnyValue nested deeper than 64 levels',
    );
    expect(outcome(() => decodeTracesProtobuf(tooDeep.protobuf, limits))).toMatch(
      /Span\[0\]\.Attribute\[0\]: AnyValue nested deeper than 64 levels$/,
    );
  });

  it('refuses a hostile depth with the same message rather than exhausting the stack', () => {
    // Built as text: JSON.stringify itself would exhaust the stack on this.
    const levels = 100_000;
    const value = `${'{"arrayValue":{"values":['.repeat(levels)}{"stringValue":"leaf"}${']}}'.repeat(levels)}`;
    const body = `{"resourceSpans":[{"scopeSpans":[{"spans":[{"traceId":"${TRACE_ID}","spanId":"${SPAN_ID}",
      "attributes":[{"key":"deep","value":${value}}]}]}]}]}`;
    expect(outcome(() => decodeTracesJson(body, limits))).toBe(
      'resourceSpans[0].scopeSpans[0].spans[0].attributes[0].value: AnyValue nested deeper than 64 levels',
    );
  });

  it('bounds a log body the same way', () => {
    const body = (levels: number) =>
      JSON.stringify({ resourceLogs: [{ scopeLogs: [{ logRecords: [{ body: nestedAnyValue(levels).json }] }] }] });
    expect(decodeLogsJson(body(64), limits).logs).toHaveLength(1);
    expect(outcome(() => ({ spans: decodeLogsJson(body(65), limits).logs }))).toBe(
      'resourceLogs[0].scopeLogs[0].logRecords[0].body: AnyValue nested deeper than 64 levels',
    );
  });
});

describe('OTLP/JSON int64 and fixed64 values sent as numbers above 2^53', () => {
  // JSON.parse reads each of these as a neighbour: 2^53 + 1 as 2^53, today's times to a multiple of 256.
  const time = '1700000000000000001';

  it('reads span and event times and intValues exactly, in either key spelling and with whitespace', () => {
    const body = `{"resourceSpans":[{"scopeSpans":[{"spans":[{"traceId":"${TRACE_ID}","spanId":"${SPAN_ID}",
      "startTimeUnixNano": ${time} ,"end_time_unix_nano":\n1700000000000000003,
      "attributes":[{"key":"max","value":{"intValue":9223372036854775807}},
        {"key":"min","value":{"int_value":-9223372036854775808}},
        {"key":"above2^53","value":{ "intValue" : 9007199254740993 }},
        {"key":"list","value":{"arrayValue":{"values":[{"intValue":9007199254740995}]}}}],
      "events":[{"timeUnixNano":1700000000000000005,"name":"e"}]}]}]}]}`;
    const decoded = decodeTracesJson(body, limits);
    expect(decoded.rejected).toBe(0);
    expect(decoded.spans[0]).toMatchObject({
      startTimeUnixNano: 1700000000000000001n,
      endTimeUnixNano: 1700000000000000003n,
      attributes: {
        max: 9223372036854775807n,
        min: -9223372036854775808n,
        'above2^53': 9007199254740993n,
        list: [9007199254740995n],
      },
      events: [{ timeUnixNano: 1700000000000000005n }],
    });
  });

  it('reads log record times exactly', () => {
    const body = `{"resourceLogs":[{"scopeLogs":[{"logRecords":[{"timeUnixNano":${time},
      "observedTimeUnixNano":1700000000000000007,"body":{"intValue":-9007199254740993}}]}]}]}`;
    expect(decodeLogsJson(body, limits).logs[0]).toMatchObject({
      timeUnixNano: 1700000000000000001n,
      observedTimeUnixNano: 1700000000000000007n,
      body: -9007199254740993n,
    });
  });

  it('still refuses what the schema refuses, and leaves doubles and string content alone', () => {
    const span = (members: string) =>
      `{"resourceSpans":[{"scopeSpans":[{"spans":[{"traceId":"${TRACE_ID}","spanId":"${SPAN_ID}",${members}}]}]}]}`;
    const attribute = (value: string) => span(`"attributes":[{"key":"k","value":${value}}]`);
    expect(outcome(() => decodeTracesJson(attribute('{"intValue":9223372036854775808}'), limits))).toMatch(
      /attributes\[0\]\.value\.intValue: expected an int64 as a decimal string or integer, got "9223372036854775808"$/,
    );
    expect(outcome(() => decodeTracesJson(span('"startTimeUnixNano":-1700000000000000001'), limits))).toMatch(
      /startTimeUnixNano: expected a uint64/,
    );
    expect(outcome(() => decodeTracesJson(attribute('{"stringValue":12345678901234567890}'), limits))).toMatch(
      /stringValue: expected a string, got 12345678901234567000$/,
    );
    // A leading zero is invalid JSON and stays so.
    expect(outcome(() => decodeTracesJson(span('"startTimeUnixNano":01700000000000000001'), limits))).toMatch(
      /^invalid JSON/,
    );
    expect(decodeTracesJson(attribute('{"doubleValue":12345678901234567890}'), limits).spans[0]?.attributes).toEqual({
      k: 12345678901234567000,
    });
    // The same text inside a string (an attribute holding JSON) is the sender's text, kept as it was sent.
    const embedded = '{\\"intValue\\":12345678901234567890, \\"x\\": [{\\"intValue\\":12345678901234567891}]}';
    expect(decodeTracesJson(attribute(`{"stringValue":"${embedded}"}`), limits).spans[0]?.attributes['k']).toBe(
      '{"intValue":12345678901234567890, "x": [{"intValue":12345678901234567891}]}',
    );
  });
});
