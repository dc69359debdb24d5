/**
 * Content stored once per trace (src/store/content-refs.ts, resolved-spans.sql): an agent loop's re-sent history
 * is stored once, and every reader still gets every original attribute byte-identical and the canonical messages
 * unchanged. Spans go through the real SDK and OTLP exporters into a real receiver.
 */
import { ROOT_CONTEXT, SpanKind, trace, type Tracer } from '@opentelemetry/api';
import type { ReadableSpan } from '@opentelemetry/sdk-trace-base';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Receiver } from '../../collector/receiver.ts';
import { mapSpan } from '../../src/conventions/index.ts';
import type { CanonicalSpan } from '../../src/model/span.ts';
import {
  ContentCollector,
  minReferencedAttributeLength,
  referenceLongAttributes,
  splitJsonArray,
} from '../../src/store/content-refs.ts';
import { readAssemblyInput } from '../../src/trajectories/read-assembly-input.ts';
import { readableSpanToOtlp } from '../conventions/readable-span-to-otlp.ts';
import { createTraceExporter, exportSpans, exportSucceeded, recordSpans } from '../helpers/export-spans.ts';
import { queryRows, startTestReceiver } from '../helpers/test-receiver.ts';

describe('splitJsonArray', () => {
  it('finds the exact text of each element, whatever the nesting, strings and spacing', () => {
    expect(splitJsonArray('[{"a": [1, 2]}, "x,]\\"y", [], {}]')).toEqual({
      open: '[',
      separator: ', ',
      close: ']',
      elements: ['{"a": [1, 2]}', '"x,]\\"y"', '[]', '{}'],
    });
    expect(splitJsonArray(' [\n  1,\n  2\n] ')).toEqual({
      open: ' [\n  ',
      separator: ',\n  ',
      close: '\n] ',
      elements: ['1', '2'],
    });
    expect(splitJsonArray('["only"]')).toEqual({ open: '[', separator: ',', close: ']', elements: ['"only"'] });
    // A string ending in an escaped backslash closes at the quote after it; an escaped quote does not close it.
    expect(splitJsonArray('["a\\\\", "b\\"c", "d"]')?.elements).toEqual(['"a\\\\"', '"b\\"c"', '"d"']);
  });

  it('declines what it cannot rebuild exactly: mixed separators, objects, empty arrays, broken text', () => {
    expect(splitJsonArray('[1,2, 3]')).toBeUndefined();
    expect(splitJsonArray('{"messages": [1, 2]}')).toBeUndefined();
    expect(splitJsonArray('[]')).toBeUndefined();
    expect(splitJsonArray('[ ]')).toBeUndefined();
    expect(splitJsonArray('["unterminated]')).toBeUndefined();
    expect(splitJsonArray('[1]]')).toBeUndefined();
    expect(splitJsonArray('plain text')).toBeUndefined();
  });
});

describe('referenceLongAttributes', () => {
  const long = 'x'.repeat(minReferencedAttributeLength);

  it('keeps short values, non-strings and strings that are not well-formed inline', () => {
    const contents = new ContentCollector('tenant').forTrace('trace');
    const attributes = { short: 'a', number: 5, list: [long], broken: `${long}\ud800` };
    const { inline, refs } = referenceLongAttributes(attributes, contents);
    expect(inline).toBe(attributes);
    expect(refs).toEqual([]);
    expect(contents.lines).toEqual([]);
  });

  it('splits JSON arrays into shared elements and stores other long values whole, once per trace', () => {
    const contents = new ContentCollector('tenant').forTrace('trace');
    const element = JSON.stringify({ role: 'system', content: long });
    const first = referenceLongAttributes({ messages: `[${element}]`, prompt: long, kept: 'k' }, contents);
    const second = referenceLongAttributes({ messages: `[${element}, ${element}]` }, contents);
    expect(first.inline).toEqual({ kept: 'k' });
    expect(first.refs.map((ref) => [ref.key, ref.open, ref.separator, ref.close, ref.refs.length])).toEqual([
      ['messages', '[', ',', ']', 1],
      ['prompt', '', '', '', 1],
    ]);
    expect(second.refs[0]).toMatchObject({ separator: ', ', refs: [first.refs[0]?.refs[0], first.refs[0]?.refs[0]] });
    // The element and the prompt, each once, though the element was sent three times.
    expect(contents.lines).toHaveLength(2);
  });

  it('keeps an attribute named __proto__ an attribute when others move out', () => {
    const contents = new ContentCollector('tenant').forTrace('trace');
    const attributes = JSON.parse(`{"__proto__": "kept", "prompt": "${long}"}`) as Record<string, unknown>;
    const { inline } = referenceLongAttributes(attributes, contents);
    expect(Object.keys(inline)).toEqual(['__proto__']);
    expect(JSON.stringify(inline)).toBe('{"__proto__":"kept"}');
  });

  it('leaves out what an earlier request already wrote', () => {
    const earlier = new ContentCollector('tenant').forTrace('trace');
    referenceLongAttributes({ prompt: long }, earlier);
    const known = new Set(earlier.keys);
    const later = new ContentCollector('tenant', (key) => known.has(key)).forTrace('trace');
    const { refs } = referenceLongAttributes({ prompt: long }, later);
    expect(refs).toHaveLength(1);
    expect(later.lines).toEqual([]);
    // Another trace does not share it: lookups never cross traces.
    const otherTrace = new ContentCollector('tenant', (key) => known.has(key)).forTrace('other');
    referenceLongAttributes({ prompt: long }, otherTrace);
    expect(otherTrace.lines).toHaveLength(1);
  });
});

const calls = 12;
const systemPrompt = `You are a careful travel agent. ${'Check every fact against the tools before answering. '.repeat(20)}`;
const toolDefinitions = [
  {
    type: 'function',
    name: 'lookup_weather',
    description: 'Weather for a city on a date. '.repeat(10),
    parameters: { type: 'object', properties: { city: { type: 'string' } } },
  },
];

/** Python's json.dumps default: ", " between items and ": " after keys, as Python GenAI instrumentations send. */
function pythonJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(pythonJson).join(', ')}]`;
  if (value !== null && typeof value === 'object') {
    return `{${Object.entries(value)
      .map(([key, item]) => `${JSON.stringify(key)}: ${pythonJson(item)}`)
      .join(', ')}}`;
  }
  return JSON.stringify(value);
}

/** One GenAI agent loop: each call re-sends the history, with tool spans between calls. */
function produceAgentLoop(tracer: Tracer): void {
  const agent = tracer.startSpan('invoke_agent travel', {
    attributes: { 'gen_ai.operation.name': 'invoke_agent', 'gen_ai.agent.name': 'travel' },
  });
  const inAgent = trace.setSpan(ROOT_CONTEXT, agent);
  const history: unknown[] = [{ role: 'user', parts: [{ type: 'text', content: 'Plan three days in Lisbon.' }] }];
  for (let call = 0; call < calls; call++) {
    const output = [
      {
        role: 'assistant',
        parts: [
          { type: 'text', content: `Step ${call}: checking the weather, "quoted", [bracketed], {braced}. ` },
          { type: 'tool_call', id: `call_${call}`, name: 'lookup_weather', arguments: { city: 'Lisbon', day: call } },
        ],
        finish_reason: 'tool_call',
      },
    ];
    const chat = tracer.startSpan(
      'chat gpt-4o',
      {
        kind: SpanKind.CLIENT,
        attributes: {
          'gen_ai.operation.name': 'chat',
          'gen_ai.provider.name': 'openai',
          'gen_ai.request.model': 'gpt-4o',
          'gen_ai.system_instructions': JSON.stringify([{ type: 'text', content: systemPrompt }]),
          // Even calls the way JS SDKs write JSON, odd ones the way Python's json.dumps does.
          'gen_ai.input.messages': call % 2 === 0 ? JSON.stringify(history) : pythonJson(history),
          'gen_ai.output.messages': JSON.stringify(output),
          'gen_ai.tool.definitions': JSON.stringify(toolDefinitions),
          'gen_ai.usage.input_tokens': 100 + call,
        },
      },
      inAgent,
    );
    chat.end();
    const result = `Lisbon day ${call}: sunny, 24°C, light wind from the north-west. ${'Details. '.repeat(40)}`;
    const tool = tracer.startSpan(
      'execute_tool lookup_weather',
      {
        attributes: {
          'gen_ai.operation.name': 'execute_tool',
          'gen_ai.tool.name': 'lookup_weather',
          'gen_ai.tool.call.id': `call_${call}`,
          'gen_ai.tool.call.arguments': JSON.stringify({ city: 'Lisbon', day: call }),
          'gen_ai.tool.call.result': result,
        },
      },
      inAgent,
    );
    tool.end();
    history.push(...output, { role: 'tool', parts: [{ type: 'tool_call_response', id: `call_${call}`, result }] });
  }
  agent.end();
}

/** An OpenInference LLM span: messages as flattened keys, the long ones repeated across calls. */
function produceOpenInferenceLoop(tracer: Tracer): void {
  const root = tracer.startSpan('agent', { attributes: { 'openinference.span.kind': 'AGENT' } });
  const inRoot = trace.setSpan(ROOT_CONTEXT, root);
  for (let call = 0; call < 4; call++) {
    const attributes: Record<string, string> = {
      'openinference.span.kind': 'LLM',
      'llm.model_name': 'gpt-4o-mini',
      'llm.input_messages.0.message.role': 'system',
      'llm.input_messages.0.message.content': systemPrompt,
    };
    for (let turn = 1; turn <= call; turn++) {
      attributes[`llm.input_messages.${turn}.message.role`] = 'user';
      attributes[`llm.input_messages.${turn}.message.content`] = `Question ${turn}: ${'why? '.repeat(80)}`;
    }
    attributes['llm.output_messages.0.message.role'] = 'assistant';
    attributes['llm.output_messages.0.message.content'] = `Answer ${call}`;
    attributes['input.value'] = pythonJson({ messages: [systemPrompt, call] });
    tracer.startSpan('ChatCompletion', { kind: SpanKind.CLIENT, attributes }, inRoot).end();
  }
  root.end();
}

let receiver: Receiver;
let loopSpans: ReadableSpan[];
let openInferenceSpans: ReadableSpan[];

async function send(spans: ReadableSpan[], transport: 'http/protobuf' | 'http/json' = 'http/protobuf'): Promise<void> {
  const exporter = createTraceExporter(transport, { httpUrl: receiver.httpUrl, grpcAddress: receiver.grpcAddress });
  // One request per span: the history's content reaches the receiver again with every call, as it does in the field.
  for (const span of spans) expect(exportSucceeded(await exportSpans(exporter, [span]))).toBe(true);
  await exporter.shutdown();
}

async function servedSpans(traceId: string): Promise<CanonicalSpan[]> {
  await receiver.flush();
  const response = await fetch(`${receiver.httpUrl}/v1/traces/${traceId}`);
  expect(response.status).toBe(200);
  return ((await response.json()) as { spans: CanonicalSpan[] }).spans;
}

function traceIdOf(spans: ReadableSpan[]): string {
  return spans[0]!.spanContext().traceId;
}

beforeAll(async () => {
  receiver = await startTestReceiver();
  loopSpans = await recordSpans(produceAgentLoop);
  openInferenceSpans = await recordSpans(produceOpenInferenceLoop);
  await send(loopSpans);
  await send(openInferenceSpans, 'http/json');
  // A client retry of the whole loop: stored once, still exact.
  await send(loopSpans.slice(0, 5));
});

afterAll(async () => {
  await receiver?.close();
});

/** Every attribute the SDK recorded, as the OTLP round trip delivers it, must be served byte-identical. */
function expectOriginalAttributes(sent: ReadableSpan[], served: CanonicalSpan[]): void {
  expect(served).toHaveLength(sent.length);
  for (const span of sent) {
    const stored = served.find((candidate) => candidate.span_id === span.spanContext().spanId);
    expect(stored, span.name).toBeDefined();
    expect(Object.keys(stored!.attributes).sort()).toEqual(Object.keys(span.attributes).sort());
    for (const [key, value] of Object.entries(span.attributes))
      expect(stored!.attributes[key], key).toStrictEqual(value);
  }
}

/** The canonical messages the mappings derive from the spans as sent, which reads must give back unchanged. */
function expectCanonicalMessages(sent: ReadableSpan[], served: CanonicalSpan[]): void {
  for (const span of sent) {
    const mapping = mapSpan(readableSpanToOtlp(span));
    const stored = served.find((candidate) => candidate.span_id === span.spanContext().spanId)!;
    expect(stored.input_messages).toEqual(mapping.input_messages ?? []);
    expect(stored.output_messages).toEqual(mapping.output_messages ?? []);
    expect(stored.tool_definitions).toEqual(mapping.tool_definitions ?? []);
    expect(stored.tool_result).toBe(mapping.tool_result ?? '');
  }
}

describe('content stored once per trace', () => {
  it("serves every original attribute byte-identical, GenAI's JSON message arrays (JS and Python spacing) too", async () => {
    const served = await servedSpans(traceIdOf(loopSpans));
    expectOriginalAttributes(loopSpans, served);
    expectCanonicalMessages(loopSpans, served);
    // The system instructions, then the history: two messages more with every call.
    const lengths = served.filter((span) => span.kind === 'llm').map((span) => span.input_messages.length);
    expect(lengths.sort((a, b) => a - b)).toEqual(Array.from({ length: calls }, (_, call) => 2 + 2 * call));
  });

  it("serves OpenInference's flattened message keys byte-identical", async () => {
    const served = await servedSpans(traceIdOf(openInferenceSpans));
    expectOriginalAttributes(openInferenceSpans, served);
    expectCanonicalMessages(openInferenceSpans, served);
  });

  it('stores the re-sent history once: contents grow with the distinct messages, not with the calls', async () => {
    const traceId = traceIdOf(loopSpans);
    const served = await servedSpans(traceId);
    const llmSpans = served.filter((span) => span.kind === 'llm');
    const attributeBytes = (span: CanonicalSpan, key: string) => ((span.attributes[key] as string) ?? '').length;
    // Every distinct message once: the last call's input holds the whole history; plus its output, the system
    // prompt and the tool definitions, which every call repeats.
    const last = llmSpans.reduce((longest, span) =>
      span.input_messages.length > longest.input_messages.length ? span : longest,
    );
    const distinctBytes =
      attributeBytes(last, 'gen_ai.input.messages') +
      attributeBytes(last, 'gen_ai.output.messages') +
      attributeBytes(last, 'gen_ai.system_instructions') +
      attributeBytes(last, 'gen_ai.tool.definitions');
    const sentBytes = llmSpans.reduce((total, span) => total + attributeBytes(span, 'gen_ai.input.messages'), 0);
    const [stored] = await queryRows<{ rows: string; bytes: string }>(
      receiver,
      'SELECT count() AS rows, sum(length(text)) AS bytes FROM contents FINAL WHERE trace_id = {trace_id:String}',
      { trace_id: traceId },
    );
    // Each message in its three forms (as sent with JS spacing, with Python spacing, canonical) and the tool
    // results as their spans sent them: a constant multiple of the distinct bytes, while what was sent grows
    // with the square of the calls.
    expect(Number(stored!.rows)).toBeLessThanOrEqual(8 * calls);
    expect(Number(stored!.bytes)).toBeLessThan(5 * distinctBytes);
    expect(sentBytes).toBeGreaterThan((calls / 3) * distinctBytes);
    const [inline] = await queryRows<{ inline_bytes: string; referencing: string }>(
      receiver,
      `SELECT sum(length(input_messages) + length(output_messages) + length(tool_definitions) + length(attributes))
                  AS inline_bytes,
              countIf(notEmpty(input_message_refs)) AS referencing
       FROM spans FINAL WHERE trace_id = {trace_id:String} AND kind = 'llm'`,
      { trace_id: traceId },
    );
    expect(Number(inline!.referencing)).toBe(calls);
    // What stays in the rows is the short attributes (the output is under the length worth referencing).
    expect(Number(inline!.inline_bytes)).toBeLessThan(calls * 600);
  });

  it('gives the SQL views the same content as the API', async () => {
    const traceId = traceIdOf(loopSpans);
    const served = await servedSpans(traceId);
    const resolved = await queryRows<{ span_id: string; input_messages: string; attributes: string }>(
      receiver,
      `SELECT span_id, input_messages, attributes
       FROM resolved_spans(tenant = 'default', trace_ids = [{trace_id:String}])`,
      { trace_id: traceId },
    );
    const assigned = await queryRows<{ span_id: string; input_messages: string; tool_definitions: string }>(
      receiver,
      `SELECT span_id, input_messages, tool_definitions
       FROM trajectory_spans(tenant = 'default', trace_ids = [{trace_id:String}])`,
      { trace_id: traceId },
    );
    expect(resolved).toHaveLength(served.length);
    expect(assigned).toHaveLength(served.length);
    for (const span of served) {
      const row = resolved.find((candidate) => candidate.span_id === span.span_id)!;
      expect(JSON.parse(row.input_messages)).toEqual(span.input_messages);
      expect(JSON.parse(row.attributes)).toEqual(span.attributes);
      const view = assigned.find((candidate) => candidate.span_id === span.span_id)!;
      expect(JSON.parse(view.input_messages)).toEqual(span.input_messages);
      expect(JSON.parse(view.tool_definitions)).toEqual(span.tool_definitions);
    }
  });

  it('gives assembly (refs resolved in TypeScript, each message parsed once) the same messages as the API', async () => {
    const traceId = traceIdOf(loopSpans);
    const served = await servedSpans(traceId);
    const { spans } = await readAssemblyInput(receiver.store.client, 'default', [traceId], new Map());
    expect(spans).toHaveLength(served.length);
    for (const span of spans) {
      const expected = served.find((candidate) => candidate.span_id === span.span_id)!;
      expect(span.input_messages, span.span_id).toEqual(expected.kind === 'llm' ? expected.input_messages : []);
      expect(span.output_messages).toEqual(expected.kind === 'llm' ? expected.output_messages : []);
      expect(span.tool_definitions).toEqual(expected.kind === 'llm' ? expected.tool_definitions : []);
      expect(span.tool_result).toBe(expected.tool_result);
    }
    // A message re-sent by every call is one object, parsed once for the whole trace.
    const llm = spans.filter((span) => span.kind === 'llm');
    expect(llm[0]!.input_messages[0]).toBe(llm[1]!.input_messages[0]);
  });
});
