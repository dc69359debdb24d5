import { SpanKind, SpanStatusCode } from '@opentelemetry/api';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import OpenAI from 'openai';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import {
  calculatorTool,
  jsonAttribute,
  onlySpan,
  spansNamed,
  startFixture,
  weatherTool,
  type Fixture,
} from './helpers.ts';

let fixture: Fixture;
beforeAll(async () => {
  fixture = await startFixture();
});
afterAll(async () => {
  await fixture.close();
});
beforeEach(() => {
  fixture.reregister();
  fixture.exporter.reset();
});

describe('openai chat.completions.create', () => {
  it('records a plain call as a chat CLIENT span with request, response, usage and messages', async () => {
    const completion = await fixture.openai.chat.completions.create({
      model: 'gpt-test',
      messages: [
        { role: 'system', content: 'You are terse.' },
        { role: 'user', content: 'Say hello' },
      ],
      temperature: 0.2,
      max_completion_tokens: 50,
      top_p: 0.9,
      stop: ['END'],
      // eslint-disable-next-line @typescript-eslint/no-deprecated -- still sent by applications; mapped to gen_ai.request.seed
      seed: 7,
    });
    expect(completion.choices[0]?.message.content).toBe('You said: Say hello');

    const span = onlySpan(fixture.exporter, 'chat gpt-test');
    expect(span.kind).toBe(SpanKind.CLIENT);
    expect(span.status.code).toBe(SpanStatusCode.UNSET);
    expect(span.attributes).toMatchObject({
      'gen_ai.operation.name': 'chat',
      'gen_ai.provider.name': 'openai',
      'openai.api.type': 'chat_completions',
      'gen_ai.request.model': 'gpt-test',
      'gen_ai.request.temperature': 0.2,
      'gen_ai.request.max_tokens': 50,
      'gen_ai.request.top_p': 0.9,
      'gen_ai.request.stop_sequences': ['END'],
      'gen_ai.request.seed': 7,
      'gen_ai.response.id': completion.id,
      'gen_ai.response.model': 'gpt-test',
      'gen_ai.response.finish_reasons': ['stop'],
      'gen_ai.usage.input_tokens': completion.usage?.prompt_tokens,
      'gen_ai.usage.output_tokens': completion.usage?.completion_tokens,
      'gen_ai.usage.cache_read.input_tokens': 4,
      'gen_ai.usage.reasoning.output_tokens': 2,
      'server.address': '127.0.0.1',
    });
    expect(jsonAttribute(span, 'gen_ai.input.messages')).toEqual([
      { role: 'system', parts: [{ type: 'text', content: 'You are terse.' }] },
      { role: 'user', parts: [{ type: 'text', content: 'Say hello' }] },
    ]);
    expect(jsonAttribute(span, 'gen_ai.output.messages')).toEqual([
      { role: 'assistant', parts: [{ type: 'text', content: 'You said: Say hello' }], finish_reason: 'stop' },
    ]);
  });

  it('records parallel tool calls, tool definitions and the tool results of the next turn', async () => {
    const messages: OpenAI.ChatCompletionMessageParam[] = [
      { role: 'user', content: 'Use calculator on 6 * 7 and check the weather' },
    ];
    const first = await fixture.openai.chat.completions.create({
      model: 'gpt-test',
      messages,
      tools: [calculatorTool, weatherTool],
    });
    const toolCalls = first.choices[0]?.message.tool_calls ?? [];
    expect(toolCalls).toHaveLength(2);
    messages.push(first.choices[0]!.message);
    for (const call of toolCalls)
      messages.push({ role: 'tool', tool_call_id: call.id, content: call.id === toolCalls[0]?.id ? '42' : 'sunny' });
    await fixture.openai.chat.completions.create({ model: 'gpt-test', messages, tools: [calculatorTool, weatherTool] });

    const [firstSpan, secondSpan] = fixture.exporter.getFinishedSpans();
    expect(firstSpan?.attributes['gen_ai.response.finish_reasons']).toEqual(['tool_calls']);
    expect(jsonAttribute(firstSpan!, 'gen_ai.tool.definitions')).toEqual([
      {
        type: 'function',
        name: 'calculator',
        description: 'Evaluates an arithmetic expression',
        parameters: calculatorTool.function.parameters,
      },
      {
        type: 'function',
        name: 'weather',
        description: 'Current weather in a city',
        parameters: weatherTool.function.parameters,
      },
    ]);
    expect(jsonAttribute(firstSpan!, 'gen_ai.output.messages')).toEqual([
      {
        role: 'assistant',
        parts: [
          { type: 'tool_call', id: toolCalls[0]?.id, name: 'calculator', arguments: { expression: '6 * 7' } },
          {
            type: 'tool_call',
            id: toolCalls[1]?.id,
            name: 'weather',
            arguments: { city: 'Use calculator on 6 * 7 and check the weather' },
          },
        ],
        finish_reason: 'tool_call',
      },
    ]);
    const secondInput = jsonAttribute(secondSpan!, 'gen_ai.input.messages') as Array<{
      role: string;
      parts: unknown[];
    }>;
    expect(secondInput.map((message) => message.role)).toEqual(['user', 'assistant', 'tool', 'tool']);
    expect(secondInput[1]?.parts).toHaveLength(2);
    expect(secondInput[2]?.parts).toEqual([{ type: 'tool_call_response', id: toolCalls[0]?.id, response: '42' }]);
    expect(secondInput[3]?.parts).toEqual([{ type: 'tool_call_response', id: toolCalls[1]?.id, response: 'sunny' }]);
  });

  it('ends a streaming span when the stream ends, with the assembled text and the final usage chunk', async () => {
    const stream = await fixture.openai.chat.completions.create({
      model: 'gpt-test',
      messages: [{ role: 'user', content: 'stream me some words please' }],
      stream: true,
      stream_options: { include_usage: true },
    });
    let text = '';
    for await (const chunk of stream) text += chunk.choices[0]?.delta.content ?? '';
    expect(text).toBe('You said: stream me some words please');

    const span = onlySpan(fixture.exporter, 'chat gpt-test');
    expect(span.attributes['gen_ai.request.stream']).toBe(true);
    expect(span.attributes['gen_ai.response.id']).toMatch(/^chatcmpl-/);
    expect(span.attributes['gen_ai.usage.output_tokens']).toBe(7);
    expect(span.attributes['gen_ai.usage.cache_read.input_tokens']).toBe(4);
    expect(span.attributes['gen_ai.response.time_to_first_chunk']).toBeGreaterThan(0);
    expect(jsonAttribute(span, 'gen_ai.output.messages')).toEqual([
      { role: 'assistant', parts: [{ type: 'text', content: text }], finish_reason: 'stop' },
    ]);
  });

  it('assembles streamed parallel tool call fragments by index', async () => {
    const stream = await fixture.openai.chat.completions.create({
      model: 'gpt-test',
      messages: [{ role: 'user', content: 'calculator 2 + 2 and weather' }],
      tools: [calculatorTool, weatherTool],
      stream: true,
    });
    for await (const chunk of stream) void chunk;
    const span = onlySpan(fixture.exporter, 'chat gpt-test');
    expect(span.attributes['gen_ai.response.finish_reasons']).toEqual(['tool_calls']);
    const [message] = jsonAttribute(span, 'gen_ai.output.messages') as Array<{ parts: Array<Record<string, unknown>> }>;
    expect(message?.parts.map((part) => [part['type'], part['name'], part['arguments']])).toEqual([
      ['tool_call', 'calculator', { expression: '2 + 2' }],
      ['tool_call', 'weather', { city: 'calculator 2 + 2 and weather' }],
    ]);
  });

  it('ends the span with what arrived when the caller breaks out of the stream', async () => {
    const stream = await fixture.openai.chat.completions.create({
      model: 'gpt-test',
      messages: [{ role: 'user', content: 'one two three four five six' }],
      stream: true,
    });
    let chunks = 0;
    for await (const chunk of stream) {
      void chunk;
      if (++chunks === 2) break;
    }
    const span = onlySpan(fixture.exporter, 'chat gpt-test');
    expect(span.status.code).toBe(SpanStatusCode.UNSET);
    const [message] = jsonAttribute(span, 'gen_ai.output.messages') as Array<{ parts: Array<{ content: string }> }>;
    expect(message?.parts[0]?.content).toBe('You said: one ');
  });

  it('ends the span with what arrived once a stream abandoned by a break out of one tee() branch is collected', async () => {
    const controller = await (async () => {
      const stream = await fixture.openai.chat.completions.create({
        model: 'gpt-test',
        messages: [{ role: 'user', content: 'one two three four five six' }],
        stream: true,
      });
      const [left] = stream.tee();
      let chunks = 0;
      for await (const chunk of left) {
        void chunk;
        if (++chunks === 2) break;
      }
      return stream.controller;
    })();
    await collectGarbageUntil(() => spansNamed(fixture.exporter, 'chat gpt-test').length > 0);
    controller.abort();
    const span = onlySpan(fixture.exporter, 'chat gpt-test');
    expect(span.status.code).toBe(SpanStatusCode.UNSET);
    expect(jsonAttribute(span, 'gen_ai.output.messages')).toEqual([
      { role: 'assistant', parts: [{ type: 'text', content: 'You said: one ' }], finish_reason: 'stop' },
    ]);
  });

  it('ends the span once an iterator dropped without return() is collected', async () => {
    const controller = await (async () => {
      const stream = await fixture.openai.chat.completions.create({
        model: 'gpt-test',
        messages: [{ role: 'user', content: 'one two three four five six' }],
        stream: true,
      });
      const iterator = stream[Symbol.asyncIterator]();
      await iterator.next();
      await iterator.next();
      return stream.controller;
    })();
    await collectGarbageUntil(() => spansNamed(fixture.exporter, 'chat gpt-test').length > 0);
    controller.abort();
    const span = onlySpan(fixture.exporter, 'chat gpt-test');
    expect(span.status.code).toBe(SpanStatusCode.UNSET);
    expect(jsonAttribute(span, 'gen_ai.output.messages')).toEqual([
      { role: 'assistant', parts: [{ type: 'text', content: 'You said: one ' }], finish_reason: 'stop' },
    ]);
  });

  it('marks the span as an error when the stream fails mid-way, and the caller sees the SDK error', async () => {
    const stream = await fixture.openai.chat.completions.create({
      model: 'gpt-fail-mid-stream',
      messages: [{ role: 'user', content: 'hi' }],
      stream: true,
    });
    const consume = async (): Promise<void> => {
      for await (const chunk of stream) void chunk;
    };
    await expect(consume()).rejects.toBeInstanceOf(OpenAI.APIError);
    const span = onlySpan(fixture.exporter, 'chat gpt-fail-mid-stream');
    expect(span.status.code).toBe(SpanStatusCode.ERROR);
    expect(span.attributes['error.type']).toBe('APIError');
    expect(jsonAttribute(span, 'gen_ai.output.messages')).toEqual([
      { role: 'assistant', parts: [{ type: 'text', content: 'Partial ' }], finish_reason: 'stop' },
    ]);
  });

  it('propagates a 400 as the SDK BadRequestError, unchanged, and marks the span as an error', async () => {
    const error = await fixture.openai.chat.completions
      .create({ model: 'gpt-error-400', messages: [{ role: 'user', content: 'hi' }] })
      .catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(OpenAI.BadRequestError);
    expect((error as InstanceType<typeof OpenAI.BadRequestError>).status).toBe(400);
    const span = onlySpan(fixture.exporter, 'chat gpt-error-400');
    expect(span.status).toMatchObject({ code: SpanStatusCode.ERROR });
    expect(span.attributes['error.type']).toBe('BadRequestError');
  });

  it('returns the SDK objects: APIPromise helpers, Stream.tee() and toReadableStream() keep working', async () => {
    const params = { model: 'gpt-test', messages: [{ role: 'user' as const, content: 'tee this stream' }] };
    const { data, response, request_id } = await fixture.openai.chat.completions.create(params).withResponse();
    expect(data.choices[0]?.message.content).toBe('You said: tee this stream');
    expect(response.status).toBe(200);
    expect(request_id).toMatch(/^req_/);

    const raw = await fixture.openai.chat.completions.create(params).asResponse();
    expect(((await raw.json()) as { object: string }).object).toBe('chat.completion');

    const stream = await fixture.openai.chat.completions.create({ ...params, stream: true });
    expect(stream.controller).toBeInstanceOf(AbortController);
    const [left, right] = stream.tee();
    const collect = async (branch: typeof left): Promise<string> => {
      let text = '';
      for await (const chunk of branch) text += chunk.choices[0]?.delta.content ?? '';
      return text;
    };
    expect(await collect(left)).toBe('You said: tee this stream');
    expect(await collect(right)).toBe('You said: tee this stream');

    const readable = (await fixture.openai.chat.completions.create({ ...params, stream: true })).toReadableStream();
    const reader = readable.getReader();
    let bytes = 0;
    for (let result = await reader.read(); !result.done; result = await reader.read()) bytes += result.value.length;
    expect(bytes).toBeGreaterThan(0);

    const spans = fixture.exporter.getFinishedSpans();
    expect(spans.map((span) => span.name)).toEqual([
      'chat gpt-test',
      'chat gpt-test',
      'chat gpt-test',
      'chat gpt-test',
    ]);
    expect(spans[1]?.attributes['gen_ai.response.id']).toBeUndefined();
    expect(jsonAttribute(spans[2]!, 'gen_ai.output.messages')).toEqual([
      { role: 'assistant', parts: [{ type: 'text', content: 'You said: tee this stream' }], finish_reason: 'stop' },
    ]);
  });

  it('works through SDK helpers built on create (chat.completions.stream)', async () => {
    const runner = fixture.openai.chat.completions.stream({
      model: 'gpt-test',
      messages: [{ role: 'user', content: 'helper' }],
    });
    const completion = await runner.finalChatCompletion();
    expect(completion.choices[0]?.message.content).toBe('You said: helper');
    expect(onlySpan(fixture.exporter, 'chat gpt-test').attributes['gen_ai.request.stream']).toBe(true);
  });
});

describe('content capture', () => {
  it('records no content when captureMessageContent is false', async () => {
    fixture.reregister({ captureMessageContent: false });
    await fixture.openai.chat.completions.create({
      model: 'gpt-test',
      messages: [{ role: 'user', content: 'secret' }],
      tools: [calculatorTool],
    });
    const span = onlySpan(fixture.exporter, 'chat gpt-test');
    expect(span.attributes['gen_ai.usage.input_tokens']).toBeGreaterThan(0);
    for (const key of ['gen_ai.input.messages', 'gen_ai.output.messages', 'gen_ai.tool.definitions'])
      expect(span.attributes[key]).toBeUndefined();
  });

  it('honours OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT=false', async () => {
    process.env['OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT'] = 'false';
    try {
      fixture.reregister();
      await fixture.openai.chat.completions.create({
        model: 'gpt-test',
        messages: [{ role: 'user', content: 'secret' }],
      });
      expect(onlySpan(fixture.exporter, 'chat gpt-test').attributes['gen_ai.input.messages']).toBeUndefined();
    } finally {
      delete process.env['OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT'];
    }
  });

  it('passes content through the redaction hook before recording it', async () => {
    const seen: string[] = [];
    fixture.reregister({
      redactContent: (value, { attribute }) => {
        seen.push(attribute);
        return JSON.parse(JSON.stringify(value).replaceAll(/[\w.]+@[\w.]+/g, '<email>')) as unknown;
      },
    });
    await fixture.openai.chat.completions.create({
      model: 'gpt-test',
      messages: [{ role: 'user', content: 'mail bob@example.com' }],
    });
    const span = onlySpan(fixture.exporter, 'chat gpt-test');
    expect(jsonAttribute(span, 'gen_ai.input.messages')).toEqual([
      { role: 'user', parts: [{ type: 'text', content: 'mail <email>' }] },
    ]);
    expect(jsonAttribute(span, 'gen_ai.output.messages')).toEqual([
      { role: 'assistant', parts: [{ type: 'text', content: 'You said: mail <email>' }], finish_reason: 'stop' },
    ]);
    expect(seen).toEqual(['gen_ai.input.messages', 'gen_ai.output.messages']);
  });

  it('drops the content, not the call, when the redaction hook throws', async () => {
    fixture.reregister({
      redactContent: () => {
        throw new Error('hook bug');
      },
    });
    const completion = await fixture.openai.chat.completions.create({
      model: 'gpt-test',
      messages: [{ role: 'user', content: 'hi' }],
    });
    expect(completion.choices[0]?.message.content).toBe('You said: hi');
    const span = onlySpan(fixture.exporter, 'chat gpt-test');
    expect(span.attributes['gen_ai.input.messages']).toBeUndefined();
    expect(span.attributes['gen_ai.response.id']).toBe(completion.id);
  });
});

describe('Azure OpenAI streams', () => {
  it('takes the response id and model from the first chunk that has them, not the empty content-filter chunk', async () => {
    // Azure opens every stream with the prompt's content-filter results, under an empty id and model.
    const chunks = [
      {
        id: '',
        object: '',
        created: 0,
        model: '',
        choices: [],
        prompt_filter_results: [{ prompt_index: 0, content_filter_results: {} }],
      },
      {
        id: 'chatcmpl-azure-1',
        object: 'chat.completion.chunk',
        created: 1,
        model: 'gpt-4o-2024-08-06',
        system_fingerprint: 'fp_azure',
        choices: [{ index: 0, delta: { role: 'assistant', content: 'Hi' }, finish_reason: null }],
      },
      {
        id: 'chatcmpl-azure-1',
        object: 'chat.completion.chunk',
        created: 1,
        model: 'gpt-4o-2024-08-06',
        choices: [{ index: 0, delta: {}, finish_reason: 'stop' }],
      },
    ];
    const server = createServer((request, response) => {
      request.resume();
      request.on('end', () => {
        response.writeHead(200, { 'content-type': 'text/event-stream' });
        for (const chunk of chunks) response.write(`data: ${JSON.stringify(chunk)}\n\n`);
        response.end('data: [DONE]\n\n');
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    try {
      const azure = new OpenAI({
        baseURL: `http://127.0.0.1:${(server.address() as AddressInfo).port}/openai/v1`,
        apiKey: 'test-key',
        maxRetries: 0,
      });
      const stream = await azure.chat.completions.create({
        model: 'gpt-4o',
        messages: [{ role: 'user', content: 'hi' }],
        stream: true,
      });
      for await (const chunk of stream) void chunk;
    } finally {
      await new Promise((resolve) => server.close(resolve));
    }
    const span = onlySpan(fixture.exporter, 'chat gpt-4o');
    expect(span.attributes).toMatchObject({
      'gen_ai.response.id': 'chatcmpl-azure-1',
      'gen_ai.response.model': 'gpt-4o-2024-08-06',
      'openai.response.system_fingerprint': 'fp_azure',
    });
    expect(jsonAttribute(span, 'gen_ai.output.messages')).toEqual([
      { role: 'assistant', parts: [{ type: 'text', content: 'Hi' }], finish_reason: 'stop' },
    ]);
  });
});

/** Runs the garbage collector (exposed at run time) until `done()`, letting finalization callbacks run in between. */
async function collectGarbageUntil(done: () => boolean): Promise<void> {
  setFlagsFromString('--expose-gc');
  const gc = runInNewContext('gc') as () => void;
  // Bounded by time, not attempts: on a loaded CI machine finalizers can take a while to get their turn.
  const deadline = Date.now() + 10_000;
  while (!done() && Date.now() < deadline) {
    gc();
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}
