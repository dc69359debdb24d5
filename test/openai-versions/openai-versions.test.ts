/**
 * The product's instrumentation on `openai` v4 and v5, still in wide use beside v6: the real packages (this test
 * workspace installs them as `openai-v4` / `openai-v5`, with the zod 3 their optional peer asks for) against the
 * local model server. Each major is patched by `register({ modules })` and must yield the same GenAI spans, mapped
 * onto the same canonical messages, as v6: chat completions with tools (plain and streamed), Responses, errors,
 * and the SDK's own promise helpers still working on the patched calls.
 */
import { SpanStatusCode } from '@opentelemetry/api';
import { InMemorySpanExporter, SimpleSpanProcessor, type ReadableSpan } from '@opentelemetry/sdk-trace-base';
import OpenAIv4 from 'openai-v4';
import OpenAIv5 from 'openai-v5';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { startModelServer, type ModelServer } from '../../examples/model-server.ts';
import { register, type InstrumentationHandle } from '../../instrumentation/src/index.ts';
import { mapSpan } from '../../src/conventions/index.ts';
import { readableSpanToOtlp } from '../conventions/readable-span-to-otlp.ts';

const weatherTool = {
  type: 'function' as const,
  function: {
    name: 'weather',
    description: 'Current weather in a city',
    parameters: { type: 'object', properties: { city: { type: 'string' } }, required: ['city'] },
  },
};

/** What the tests use of a client; both majors' classes have it with the same wire behaviour. */
interface ChatClient {
  chat: { completions: { create(body: Record<string, unknown>): unknown } };
  responses: { create(body: Record<string, unknown>): unknown };
}

const versions = [
  ['v4', OpenAIv4, (options: { baseURL: string }) => new OpenAIv4({ ...options, apiKey: 'test', maxRetries: 0 })],
  ['v5', OpenAIv5, (options: { baseURL: string }) => new OpenAIv5({ ...options, apiKey: 'test', maxRetries: 0 })],
] as const;

let server: ModelServer;
beforeAll(async () => {
  server = await startModelServer();
});
afterAll(async () => {
  await server.close();
});

describe.each(versions)('openai %s', (_version, moduleExports, createClient) => {
  let exporter: InMemorySpanExporter;
  let handle: InstrumentationHandle;
  let client: ChatClient;
  beforeAll(() => {
    exporter = new InMemorySpanExporter();
    handle = register({
      spanProcessors: [new SimpleSpanProcessor(exporter)],
      modules: { openai: moduleExports },
      autoInstrument: false,
    });
    client = createClient({ baseURL: server.openaiBaseUrl }) as unknown as ChatClient;
  });
  afterAll(async () => {
    await handle.shutdown();
  });

  function finishedSpan(name: string): ReadableSpan {
    const spans = exporter.getFinishedSpans().filter((span) => span.name === name);
    expect(spans).toHaveLength(1);
    exporter.reset();
    return spans[0]!;
  }

  test('records a chat completion with tools, and the next call with the tool result, as GenAI spans', async () => {
    const messages: Array<Record<string, unknown>> = [{ role: 'user', content: 'weather in Oslo' }];
    const first = (await client.chat.completions.create({
      model: 'versions-model',
      messages,
      tools: [weatherTool],
    })) as { choices: Array<{ message: { tool_calls: Array<{ id: string }> } }> };
    const call = first.choices[0]!.message.tool_calls[0]!;
    const firstMapping = mapSpan(readableSpanToOtlp(finishedSpan('chat versions-model')));
    expect(firstMapping).toMatchObject({
      kind: 'llm',
      convention: 'genai',
      provider: 'openai',
      model: 'versions-model',
      finish_reasons: ['tool_calls'],
      tool_definitions: [{ type: 'function', function: { name: 'weather' } }],
      output_messages: [
        {
          role: 'assistant',
          content: null,
          tool_calls: [
            { id: call.id, type: 'function', function: { name: 'weather', arguments: '{"city":"weather in Oslo"}' } },
          ],
        },
      ],
    });
    expect(firstMapping.input_tokens).toBeGreaterThan(0);

    messages.push(first.choices[0]!.message, { role: 'tool', tool_call_id: call.id, content: 'sunny' });
    await client.chat.completions.create({ model: 'versions-model', messages, tools: [weatherTool] });
    const second = mapSpan(readableSpanToOtlp(finishedSpan('chat versions-model')));
    expect(second.input_messages?.at(-1)).toEqual({ role: 'tool', tool_call_id: call.id, content: 'sunny' });
    expect(second.output_messages).toEqual([
      { role: 'assistant', content: 'The answer is sunny.', finish_reason: 'stop' },
    ]);
  });

  test('assembles a streamed chat completion with tool-call deltas and usage', async () => {
    const stream = (await client.chat.completions.create({
      model: 'versions-stream',
      messages: [{ role: 'user', content: 'weather in Rome' }],
      tools: [weatherTool],
      stream: true,
      stream_options: { include_usage: true },
    })) as AsyncIterable<unknown>;
    let chunks = 0;
    for await (const chunk of stream) if (chunk !== undefined) chunks++;
    expect(chunks).toBeGreaterThan(2);
    const span = finishedSpan('chat versions-stream');
    expect(span.attributes['gen_ai.request.stream']).toBe(true);
    expect(mapSpan(readableSpanToOtlp(span))).toMatchObject({
      output_tokens: 5,
      output_messages: [
        {
          role: 'assistant',
          tool_calls: [{ type: 'function', function: { name: 'weather', arguments: '{"city":"weather in Rome"}' } }],
        },
      ],
    });
  });

  test('records a Responses API call', async () => {
    const response = (await client.responses.create({ model: 'versions-responses', input: 'hello responses' })) as {
      output_text: string;
    };
    expect(response.output_text).toBe('You said: hello responses');
    const span = finishedSpan('chat versions-responses');
    expect(span.attributes['openai.api.type']).toBe('responses');
    expect(mapSpan(readableSpanToOtlp(span)).output_messages).toEqual([
      { role: 'assistant', content: 'You said: hello responses', finish_reason: 'stop' },
    ]);
  });

  test("keeps the SDK's promise helpers and errors: withResponse() works, a 400 rejects unchanged and marks the span", async () => {
    const promise = client.chat.completions.create({
      model: 'versions-helpers',
      messages: [{ role: 'user', content: 'hi' }],
    }) as { withResponse(): Promise<{ data: { id: string }; response: Response }> };
    const { data, response } = await promise.withResponse();
    expect(response.status).toBe(200);
    expect(finishedSpan('chat versions-helpers').attributes['gen_ai.response.id']).toBe(data.id);

    const failed = client.chat.completions.create({
      model: 'error-400',
      messages: [{ role: 'user', content: 'hi' }],
    }) as Promise<unknown>;
    await expect(failed).rejects.toBeInstanceOf(moduleExports.BadRequestError);
    const span = finishedSpan('chat error-400');
    expect(span.status.code).toBe(SpanStatusCode.ERROR);
    expect(span.attributes['error.type']).toBe('BadRequestError');
  });
});
