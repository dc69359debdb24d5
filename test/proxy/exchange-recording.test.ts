/**
 * Recording proxied LLM calls (src/proxy/): each protocol's request and answer, JSON and streamed, turned into
 * GenAI attributes by `recordExchange` and then through the receiver's real convention mapping (`mapSpan`), with
 * the canonical span asserted. The requests are the ones the real SDKs send (`openai`, `@anthropic-ai/sdk`, each
 * given a fetch that keeps the request body and answers for the provider), and the answers are typed with the
 * SDKs' own wire types and read back by the SDKs (their stream accumulators too), so a fixture the real client
 * could not have received fails here. Pure: no receiver, no network.
 */
import Anthropic from '@anthropic-ai/sdk';
import type { Message, MessageCreateParams, RawMessageStreamEvent } from '@anthropic-ai/sdk/resources/messages';
import OpenAI from 'openai';
import { _iterSSEMessages } from 'openai/core/streaming';
import type {
  ChatCompletion,
  ChatCompletionChunk,
  ChatCompletionCreateParamsNonStreaming,
  ChatCompletionTool,
} from 'openai/resources/chat/completions';
import type { Completion } from 'openai/resources/completions';
import type {
  FunctionTool,
  Response as OpenAiResponse,
  ResponseStreamEvent,
} from 'openai/resources/responses/responses';
import { describe, expect, test } from 'vitest';
import { mapSpan } from '../../src/conventions/index.ts';
import type { SpanMapping } from '../../src/model/span.ts';
import {
  recordExchange,
  type ExchangeRecord,
  type ProxyExchange,
  type ProxyProtocol,
} from '../../src/proxy/exchange.ts';
import { parseServerSentEvents } from '../../src/proxy/server-sent-events.ts';
import { fixtureSpan } from '../conventions/fixture-span.ts';

interface Answer {
  status?: number;
  contentType: string;
  body: string;
}

/** A fetch standing in for the provider: it keeps each request body the SDK sent and answers with `answer`. */
function provider(answer: Answer) {
  const requests: unknown[] = [];
  const fetch = async (_input: string | URL | Request, init?: RequestInit): Promise<Response> => {
    requests.push(typeof init?.body === 'string' ? JSON.parse(init.body) : undefined);
    return new Response(answer.body, { status: answer.status ?? 200, headers: { 'content-type': answer.contentType } });
  };
  return { fetch, requests };
}

function openAiClient(fetch: ReturnType<typeof provider>['fetch']): OpenAI {
  return new OpenAI({ apiKey: 'sk-test', baseURL: 'http://upstream.test/v1', fetch, maxRetries: 0 });
}

function anthropicClient(fetch: ReturnType<typeof provider>['fetch']): Anthropic {
  return new Anthropic({ apiKey: 'sk-ant-test', baseURL: 'http://upstream.test', fetch, maxRetries: 0 });
}

function exchangeOf(protocol: ProxyProtocol, request: unknown, answer: Answer, more: Partial<ProxyExchange> = {}) {
  return {
    protocol,
    request,
    status: answer.status ?? 200,
    contentType: answer.contentType,
    responseText: answer.body,
    truncated: false,
    failure: '',
    ...more,
  } satisfies ProxyExchange;
}

/** The record as the receiver stores it: through the real convention mapping. */
function canonical(record: ExchangeRecord): SpanMapping {
  return mapSpan(fixtureSpan({ name: record.name, attributes: record.attributes }));
}

const json = (body: unknown): Answer => ({ contentType: 'application/json', body: JSON.stringify(body) });
/** OpenAI's framing: `data:` lines only, then `data: [DONE]`. */
const openAiStream = (chunks: readonly unknown[]): Answer => ({
  contentType: 'text/event-stream; charset=utf-8',
  body: [...chunks.map((chunk) => `data: ${JSON.stringify(chunk)}\n\n`), 'data: [DONE]\n\n'].join(''),
});
/** Responses and Anthropic framing: each event named after its type. */
const namedStream = (events: ReadonlyArray<{ type: string }>): Answer => ({
  contentType: 'text/event-stream',
  body: events.map((event) => `event: ${event.type}\ndata: ${JSON.stringify(event)}\n\n`).join(''),
});

const weatherParameters = {
  type: 'object',
  properties: { city: { type: 'string' } },
  required: ['city'],
  additionalProperties: false,
};
const WEATHER_TOOL: ChatCompletionTool = {
  type: 'function',
  function: {
    name: 'get_weather',
    description: 'Current weather for a city',
    parameters: weatherParameters,
    strict: true,
  },
};
const CANONICAL_WEATHER_TOOL = {
  type: 'function',
  function: { name: 'get_weather', description: 'Current weather for a city', parameters: weatherParameters },
};
const weatherCall = (id: string, city: string) => ({
  id,
  type: 'function' as const,
  function: { name: 'get_weather', arguments: JSON.stringify({ city }) },
});

describe('OpenAI Chat Completions', () => {
  const params = {
    model: 'gpt-4o',
    messages: [
      { role: 'developer', content: 'You are a weather assistant.' },
      {
        role: 'user',
        content: [
          { type: 'text', text: 'Weather where this photo was taken, and in Rome?' },
          { type: 'image_url', image_url: { url: 'https://example.com/paris.jpg', detail: 'auto' } },
        ],
      },
      {
        role: 'assistant',
        content: null,
        tool_calls: [
          {
            id: 'call_locate',
            type: 'function',
            function: { name: 'locate_photo', arguments: '{"url":"https://example.com/paris.jpg"}' },
          },
        ],
      },
      { role: 'tool', tool_call_id: 'call_locate', content: [{ type: 'text', text: 'Paris' }] },
    ],
    tools: [WEATHER_TOOL],
    temperature: 0.2,
    max_completion_tokens: 512,
  } satisfies ChatCompletionCreateParamsNonStreaming;
  const history = [
    { role: 'developer', content: 'You are a weather assistant.' },
    {
      role: 'user',
      content: [
        { type: 'text', text: 'Weather where this photo was taken, and in Rome?' },
        { type: 'uri', modality: 'image', uri: 'https://example.com/paris.jpg' },
      ],
    },
    {
      role: 'assistant',
      content: null,
      tool_calls: [
        {
          id: 'call_locate',
          type: 'function',
          function: { name: 'locate_photo', arguments: '{"url":"https://example.com/paris.jpg"}' },
        },
      ],
    },
    { role: 'tool', tool_call_id: 'call_locate', content: 'Paris' },
  ];
  const usage = {
    prompt_tokens: 182,
    completion_tokens: 48,
    total_tokens: 230,
    prompt_tokens_details: { cached_tokens: 128, audio_tokens: 0 },
    completion_tokens_details: {
      reasoning_tokens: 0,
      audio_tokens: 0,
      accepted_prediction_tokens: 0,
      rejected_prediction_tokens: 0,
    },
  };

  test('records a JSON answer with parallel tool calls: history, tools, usage, finish reason', async () => {
    const completion = {
      id: 'chatcmpl-B9MHDbslfkBeAs8l4bebGdFOJ6PeG',
      object: 'chat.completion',
      created: 1741570283,
      model: 'gpt-4o-2024-08-06',
      choices: [
        {
          index: 0,
          message: {
            role: 'assistant',
            content: null,
            refusal: null,
            annotations: [],
            tool_calls: [weatherCall('call_paris', 'Paris'), weatherCall('call_rome', 'Rome')],
          },
          logprobs: null,
          finish_reason: 'tool_calls',
        },
      ],
      usage,
      service_tier: 'default',
    } satisfies ChatCompletion;
    const upstream = provider(json(completion));
    const received = await openAiClient(upstream.fetch).chat.completions.create(params);
    expect(received.choices[0]?.message.tool_calls).toHaveLength(2);

    const record = recordExchange(exchangeOf('openai-chat', upstream.requests[0], json(completion)));
    expect(record).toMatchObject({ name: 'chat gpt-4o', status: 'ok', statusMessage: '' });
    expect(record.attributes).toMatchObject({
      'gen_ai.request.temperature': 0.2,
      'gen_ai.request.max_tokens': 512,
      'gen_ai.request.stream': false,
      'openai.api.type': 'chat_completions',
      'openai.response.service_tier': 'default',
    });
    const mapping = canonical(record);
    expect(mapping).toMatchObject({
      kind: 'llm',
      convention: 'genai',
      operation: 'chat',
      provider: 'openai',
      model: 'gpt-4o',
      response_model: 'gpt-4o-2024-08-06',
      response_id: 'chatcmpl-B9MHDbslfkBeAs8l4bebGdFOJ6PeG',
      finish_reasons: ['tool_calls'],
      input_tokens: 182,
      output_tokens: 48,
      cache_read_tokens: 128,
      reasoning_tokens: 0,
      tool_definitions: [CANONICAL_WEATHER_TOOL],
    });
    expect(mapping.input_messages).toEqual(history);
    expect(mapping.output_messages).toEqual([
      {
        role: 'assistant',
        content: null,
        tool_calls: [weatherCall('call_paris', 'Paris'), weatherCall('call_rome', 'Rome')],
        finish_reason: 'tool_call',
      },
    ]);
  });

  test('rebuilds a stream as the SDK does: content, tool calls by index, usage from the final chunk', async () => {
    const base = {
      id: 'chatcmpl-stream-1',
      object: 'chat.completion.chunk' as const,
      created: 1741570283,
      model: 'gpt-4o-2024-08-06',
      service_tier: 'default' as const,
      system_fingerprint: 'fp_f9f4fb6dbf',
      usage: null,
    };
    const delta = (
      delta: ChatCompletionChunk.Choice.Delta,
      finish: ChatCompletionChunk.Choice['finish_reason'] = null,
    ) =>
      ({
        ...base,
        choices: [{ index: 0, delta, logprobs: null, finish_reason: finish }],
      }) satisfies ChatCompletionChunk;
    const argumentsDelta = (index: number, text: string) =>
      delta({ tool_calls: [{ index, function: { arguments: text } }] });
    const chunks = [
      delta({ role: 'assistant', content: '', refusal: null }),
      delta({ content: 'Checking ' }),
      delta({ content: 'both cities.' }),
      delta({
        tool_calls: [
          { index: 0, id: 'call_paris', type: 'function', function: { name: 'get_weather', arguments: '' } },
        ],
      }),
      argumentsDelta(0, '{"city":'),
      argumentsDelta(0, '"Paris"}'),
      delta({
        tool_calls: [{ index: 1, id: 'call_rome', type: 'function', function: { name: 'get_weather', arguments: '' } }],
      }),
      argumentsDelta(1, '{"city":"Rome"}'),
      delta({}, 'tool_calls'),
      { ...base, choices: [], usage },
    ] satisfies ChatCompletionChunk[];
    const answer = openAiStream(chunks);
    const upstream = provider(answer);
    const sdkStream = openAiClient(upstream.fetch).chat.completions.stream({
      ...params,
      stream_options: { include_usage: true },
    });
    const sdkFinal = await sdkStream.finalChatCompletion();

    const record = recordExchange(exchangeOf('openai-chat', upstream.requests[0], answer));
    expect(record).toMatchObject({ name: 'chat gpt-4o', status: 'ok' });
    expect(record.attributes['gen_ai.request.stream']).toBe(true);
    const mapping = canonical(record);
    expect(mapping).toMatchObject({
      model: 'gpt-4o',
      response_model: 'gpt-4o-2024-08-06',
      response_id: 'chatcmpl-stream-1',
      finish_reasons: ['tool_calls'],
      input_tokens: 182,
      output_tokens: 48,
      cache_read_tokens: 128,
      tool_definitions: [CANONICAL_WEATHER_TOOL],
    });
    expect(mapping.input_messages).toEqual(history);
    const output = mapping.output_messages?.[0];
    expect(output).toEqual({
      role: 'assistant',
      content: 'Checking both cities.',
      tool_calls: [weatherCall('call_paris', 'Paris'), weatherCall('call_rome', 'Rome')],
      finish_reason: 'tool_call',
    });
    // The SDK's own accumulation of the same stream agrees.
    const sdkMessage = sdkFinal.choices[0]?.message;
    expect(output?.content).toBe(sdkMessage?.content);
    expect(output?.tool_calls).toEqual(
      sdkMessage?.tool_calls?.map((call) =>
        call.type === 'function'
          ? { id: call.id, type: call.type, function: { name: call.function.name, arguments: call.function.arguments } }
          : call,
      ),
    );
  });

  test('keeps reasoning_content (vLLM, DeepSeek) in JSON answers and streams, and the legacy function_call', () => {
    const request = {
      model: 'deepseek-reasoner',
      messages: [
        { role: 'user', content: 'What is 2+2? Use the calculator.' },
        { role: 'assistant', content: null, function_call: { name: 'calculator', arguments: '{"expression": "2+2"}' } },
        { role: 'function', name: 'calculator', content: '4' },
      ],
      functions: [
        { name: 'calculator', parameters: { type: 'object', properties: { expression: { type: 'string' } } } },
      ],
    };
    const answer = json({
      id: 'c2',
      object: 'chat.completion',
      created: 1,
      model: 'deepseek-reasoner',
      choices: [
        {
          index: 0,
          message: { role: 'assistant', content: 'It is 4.', reasoning_content: 'The tool said 4.' },
          finish_reason: 'stop',
        },
      ],
      usage: { prompt_tokens: 30, completion_tokens: 12, completion_tokens_details: { reasoning_tokens: 5 } },
    });
    const mapping = canonical(recordExchange(exchangeOf('openai-chat', request, answer)));
    expect(mapping.input_messages).toEqual([
      { role: 'user', content: 'What is 2+2? Use the calculator.' },
      {
        role: 'assistant',
        content: null,
        // The model's text exactly, spacing included (it does not round-trip through JSON.parse).
        tool_calls: [
          { id: '', type: 'function', function: { name: 'calculator', arguments: '{"expression": "2+2"}' } },
        ],
      },
      { role: 'tool', tool_call_id: '', content: '4' },
    ]);
    expect(mapping.output_messages).toEqual([
      { role: 'assistant', content: 'It is 4.', reasoning: 'The tool said 4.', finish_reason: 'stop' },
    ]);
    expect(mapping).toMatchObject({ reasoning_tokens: 5, tool_definitions: [{ function: { name: 'calculator' } }] });

    const streamed = openAiStream([
      {
        id: 'c3',
        object: 'chat.completion.chunk',
        created: 1,
        model: 'deepseek-reasoner',
        choices: [{ index: 0, delta: { role: 'assistant', reasoning_content: 'The tool ' } }],
      },
      {
        id: 'c3',
        object: 'chat.completion.chunk',
        created: 1,
        model: 'deepseek-reasoner',
        choices: [{ index: 0, delta: { reasoning_content: 'said 4.' } }],
      },
      {
        id: 'c3',
        object: 'chat.completion.chunk',
        created: 1,
        model: 'deepseek-reasoner',
        choices: [{ index: 0, delta: { content: 'It is 4.' }, finish_reason: 'stop' }],
      },
    ]);
    const streamedMapping = canonical(
      recordExchange(exchangeOf('openai-chat', { ...request, stream: true }, streamed)),
    );
    expect(streamedMapping.output_messages).toEqual([
      { role: 'assistant', content: 'It is 4.', reasoning: 'The tool said 4.', finish_reason: 'stop' },
    ]);
  });

  test('records media parts: data-URL images as blobs, audio, files by id or inline', async () => {
    const upstream = provider(json({ id: 'c4', object: 'chat.completion', created: 1, model: 'gpt-4o', choices: [] }));
    await openAiClient(upstream.fetch).chat.completions.create({
      model: 'gpt-4o-audio-preview',
      messages: [
        {
          role: 'user',
          content: [
            { type: 'image_url', image_url: { url: 'data:image/webp;base64,UklGRg==' } },
            { type: 'input_audio', input_audio: { data: 'SUQzBA==', format: 'mp3' } },
            { type: 'file', file: { file_id: 'file-abc' } },
            { type: 'file', file: { filename: 'report.pdf', file_data: 'data:application/pdf;base64,JVBERi0=' } },
          ],
        },
      ],
    });
    const mapping = canonical(recordExchange(exchangeOf('openai-chat', upstream.requests[0], json({}))));
    expect(mapping.input_messages).toEqual([
      {
        role: 'user',
        content: [
          { type: 'blob', modality: 'image', mime_type: 'image/webp', content: 'UklGRg==' },
          { type: 'blob', modality: 'audio', mime_type: 'audio/mp3', content: 'SUQzBA==' },
          { type: 'file', modality: 'document', file_id: 'file-abc' },
          {
            type: 'blob',
            modality: 'document',
            mime_type: 'application/pdf',
            content: 'JVBERi0=',
            filename: 'report.pdf',
          },
        ],
      },
    ]);
  });

  test('records a 429 with the upstream message, and keeps the request it refused', async () => {
    const answer: Answer = {
      status: 429,
      ...json({
        error: {
          message:
            'Rate limit reached for gpt-4o in organization org-test on tokens per min (TPM): Limit 30000, Used 29880, Requested 512. Please try again in 784ms.',
          type: 'tokens',
          param: null,
          code: 'rate_limit_exceeded',
        },
      }),
    };
    const upstream = provider(answer);
    await expect(openAiClient(upstream.fetch).chat.completions.create(params)).rejects.toBeInstanceOf(
      OpenAI.RateLimitError,
    );
    const record = recordExchange(exchangeOf('openai-chat', upstream.requests[0], answer));
    expect(record.status).toBe('error');
    expect(record.statusMessage).toMatch(/^Rate limit reached for gpt-4o/);
    expect(record.attributes['error.type']).toBe('429');
    const mapping = canonical(record);
    expect(mapping).toMatchObject({ kind: 'llm', model: 'gpt-4o', error_type: '429' });
    expect(mapping.input_messages).toEqual(history);
    expect(mapping.output_messages).toBeUndefined();
  });
});

describe('OpenAI Responses', () => {
  const functionTool: FunctionTool = {
    type: 'function',
    name: 'get_weather',
    description: 'Current weather for a city',
    parameters: weatherParameters,
    strict: true,
  };
  /** A Response as stream events carry it: the SDK types it with `output_text`, its own property, never sent. */
  const eventResponse = (response: Omit<OpenAiResponse, 'output_text'>) => response as OpenAiResponse;
  const responseBase = {
    object: 'response',
    created_at: 1741476542,
    error: null,
    incomplete_details: null,
    instructions: 'You are a weather assistant.',
    max_output_tokens: 1024,
    metadata: {},
    model: 'gpt-5-2025-08-07',
    parallel_tool_calls: true,
    previous_response_id: null,
    reasoning: { effort: 'medium', summary: 'auto' },
    temperature: 1,
    text: { format: { type: 'text' } },
    tool_choice: 'auto',
    tools: [functionTool],
    top_p: 1,
    truncation: 'disabled',
  } satisfies Partial<OpenAiResponse>;

  test('records instructions, input items (messages, reasoning, calls, outputs) and the output items', async () => {
    const response = {
      ...responseBase,
      id: 'resp_67ccd2bed1ec8190b14f964abc054267',
      status: 'completed',
      output: [
        { type: 'reasoning', id: 'rs_2', summary: [{ type: 'summary_text', text: 'The tool says 18°C.' }] },
        {
          type: 'message',
          id: 'msg_1',
          status: 'completed',
          role: 'assistant',
          content: [{ type: 'output_text', text: 'It is 18°C in Paris.', annotations: [], logprobs: [] }],
        },
      ],
      usage: {
        input_tokens: 310,
        input_tokens_details: { cached_tokens: 256, cache_write_tokens: 0 },
        output_tokens: 96,
        output_tokens_details: { reasoning_tokens: 64 },
        total_tokens: 406,
      },
    } satisfies Omit<OpenAiResponse, 'output_text'>;
    const upstream = provider(json(response));
    const received = await openAiClient(upstream.fetch).responses.create({
      model: 'gpt-5',
      instructions: 'You are a weather assistant.',
      input: [
        {
          role: 'user',
          content: [
            { type: 'input_text', text: 'Weather in Paris?' },
            { type: 'input_image', image_url: 'data:image/png;base64,iVBORw0KGgo=', detail: 'auto' },
          ],
        },
        { type: 'reasoning', id: 'rs_1', summary: [{ type: 'summary_text', text: 'Need the weather tool.' }] },
        {
          type: 'function_call',
          id: 'fc_1',
          call_id: 'call_paris',
          name: 'get_weather',
          arguments: '{"city":"Paris"}',
        },
        { type: 'function_call_output', call_id: 'call_paris', output: '{"temperature":18}' },
      ],
      tools: [functionTool],
      max_output_tokens: 1024,
      conversation: 'conv_689667905b048191b4740501625afd940c7533ace33a2dab',
    });
    expect(received.output_text).toBe('It is 18°C in Paris.');

    const record = recordExchange(exchangeOf('openai-responses', upstream.requests[0], json(response)));
    expect(record).toMatchObject({ name: 'chat gpt-5', status: 'ok' });
    expect(record.attributes).toMatchObject({ 'openai.api.type': 'responses', 'gen_ai.request.max_tokens': 1024 });
    const mapping = canonical(record);
    expect(mapping).toMatchObject({
      operation: 'chat',
      provider: 'openai',
      model: 'gpt-5',
      response_model: 'gpt-5-2025-08-07',
      response_id: 'resp_67ccd2bed1ec8190b14f964abc054267',
      conversation_id: 'conv_689667905b048191b4740501625afd940c7533ace33a2dab',
      finish_reasons: ['stop'],
      input_tokens: 310,
      output_tokens: 96,
      cache_read_tokens: 256,
      reasoning_tokens: 64,
      tool_definitions: [CANONICAL_WEATHER_TOOL],
    });
    expect(mapping.input_messages).toEqual([
      { role: 'system', content: 'You are a weather assistant.' },
      {
        role: 'user',
        content: [
          { type: 'text', text: 'Weather in Paris?' },
          { type: 'blob', modality: 'image', mime_type: 'image/png', content: 'iVBORw0KGgo=' },
        ],
      },
      {
        role: 'assistant',
        content: null,
        reasoning: 'Need the weather tool.',
        tool_calls: [weatherCall('call_paris', 'Paris')],
      },
      { role: 'tool', tool_call_id: 'call_paris', content: '{"temperature":18}' },
    ]);
    expect(mapping.output_messages).toEqual([
      { role: 'assistant', content: 'It is 18°C in Paris.', reasoning: 'The tool says 18°C.', finish_reason: 'stop' },
    ]);
  });

  const streamedResponse = {
    ...responseBase,
    id: 'resp_stream_1',
    previous_response_id: 'resp_67ccd2bed1ec8190b14f964abc054267',
    status: 'completed',
    output: [
      { type: 'reasoning', id: 'rs_3', summary: [{ type: 'summary_text', text: 'Rome next.' }] },
      {
        type: 'function_call',
        id: 'fc_2',
        call_id: 'call_rome',
        name: 'get_weather',
        arguments: '{"city":"Rome"}',
        status: 'completed',
      },
    ],
    usage: {
      input_tokens: 420,
      input_tokens_details: { cached_tokens: 384, cache_write_tokens: 0 },
      output_tokens: 40,
      output_tokens_details: { reasoning_tokens: 20 },
      total_tokens: 460,
    },
  } satisfies Omit<OpenAiResponse, 'output_text'>;
  const { usage: _usage, ...withoutUsage } = streamedResponse;
  const inProgress = { ...withoutUsage, status: 'in_progress' as const, output: [] };
  const streamEvents = [
    { type: 'response.created', sequence_number: 0, response: eventResponse(inProgress) },
    { type: 'response.in_progress', sequence_number: 1, response: eventResponse(inProgress) },
    {
      type: 'response.output_item.added',
      sequence_number: 2,
      output_index: 0,
      item: { type: 'reasoning', id: 'rs_3', summary: [] },
    },
    {
      type: 'response.reasoning_summary_part.added',
      sequence_number: 3,
      item_id: 'rs_3',
      output_index: 0,
      summary_index: 0,
      part: { type: 'summary_text', text: '' },
    },
    {
      type: 'response.reasoning_summary_text.delta',
      sequence_number: 4,
      item_id: 'rs_3',
      output_index: 0,
      summary_index: 0,
      delta: 'Rome ',
    },
    {
      type: 'response.reasoning_summary_text.delta',
      sequence_number: 5,
      item_id: 'rs_3',
      output_index: 0,
      summary_index: 0,
      delta: 'next.',
    },
    {
      type: 'response.output_item.done',
      sequence_number: 6,
      output_index: 0,
      item: streamedResponse.output[0]!,
    },
    {
      type: 'response.output_item.added',
      sequence_number: 7,
      output_index: 1,
      item: {
        type: 'function_call',
        id: 'fc_2',
        call_id: 'call_rome',
        name: 'get_weather',
        arguments: '',
        status: 'in_progress',
      },
    },
    {
      type: 'response.function_call_arguments.delta',
      sequence_number: 8,
      item_id: 'fc_2',
      output_index: 1,
      delta: '{"city":',
    },
    {
      type: 'response.function_call_arguments.delta',
      sequence_number: 9,
      item_id: 'fc_2',
      output_index: 1,
      delta: '"Rome"}',
    },
    {
      type: 'response.function_call_arguments.done',
      sequence_number: 10,
      item_id: 'fc_2',
      output_index: 1,
      name: 'get_weather',
      arguments: '{"city":"Rome"}',
    },
    { type: 'response.output_item.done', sequence_number: 11, output_index: 1, item: streamedResponse.output[1]! },
    { type: 'response.completed', sequence_number: 12, response: eventResponse(streamedResponse) },
  ] satisfies ResponseStreamEvent[];
  const streamRequest = {
    model: 'gpt-5',
    previous_response_id: 'resp_67ccd2bed1ec8190b14f964abc054267',
    input: [{ type: 'function_call_output' as const, call_id: 'call_paris', output: '{"temperature":18}' }],
    tools: [functionTool],
  };

  test('records a stream from its response.completed event, with the chain it continues', async () => {
    const answer = namedStream(streamEvents);
    const upstream = provider(answer);
    const sdkFinal = await openAiClient(upstream.fetch).responses.stream(streamRequest).finalResponse();
    expect(sdkFinal.output).toHaveLength(2);

    const record = recordExchange(exchangeOf('openai-responses', upstream.requests[0], answer));
    expect(record.status).toBe('ok');
    expect(record.attributes).toMatchObject({
      'gen_ai.request.stream': true,
      'openai.request.previous_response_id': 'resp_67ccd2bed1ec8190b14f964abc054267',
    });
    const mapping = canonical(record);
    expect(mapping).toMatchObject({
      response_id: 'resp_stream_1',
      finish_reasons: ['tool_call'],
      input_tokens: 420,
      output_tokens: 40,
      cache_read_tokens: 384,
      reasoning_tokens: 20,
    });
    expect(mapping.input_messages).toEqual([
      { role: 'tool', tool_call_id: 'call_paris', content: '{"temperature":18}' },
    ]);
    expect(mapping.output_messages).toEqual([
      {
        role: 'assistant',
        content: null,
        reasoning: 'Rome next.',
        tool_calls: [weatherCall('call_rome', 'Rome')],
        finish_reason: 'tool_call',
      },
    ]);
  });

  test('rebuilds a stream cut before its final event from the items and deltas that arrived', () => {
    const whole = namedStream(streamEvents).body;
    const cutAt = whole.indexOf('"sequence_number":9,'); // inside the second arguments delta event
    expect(cutAt).toBeGreaterThan(0);
    const record = recordExchange(
      exchangeOf('openai-responses', { ...streamRequest, stream: true }, namedStream([]), {
        responseText: whole.slice(0, cutAt),
        truncated: true,
      }),
    );
    expect(record.status).toBe('ok');
    expect(record.attributes['trajectories.proxy.response_truncated']).toBe(true);
    const mapping = canonical(record);
    expect(mapping).toMatchObject({ response_id: 'resp_stream_1', response_model: 'gpt-5-2025-08-07' });
    expect(mapping.finish_reasons).toBeUndefined();
    expect(mapping.input_tokens).toBeUndefined();
    expect(mapping.output_messages).toEqual([
      {
        role: 'assistant',
        content: null,
        reasoning: 'Rome next.',
        tool_calls: [{ id: 'call_rome', type: 'function', function: { name: 'get_weather', arguments: '{"city":' } }],
      },
    ]);
  });

  test('records response.failed inside a 200 stream as an error with the response error code', () => {
    const failedResponse = {
      ...inProgress,
      status: 'failed' as const,
      error: { code: 'server_error' as const, message: 'The server had an error while processing your request.' },
    };
    const events = [
      { type: 'response.created', sequence_number: 0, response: eventResponse(inProgress) },
      { type: 'response.failed', sequence_number: 1, response: eventResponse(failedResponse) },
    ] satisfies ResponseStreamEvent[];
    const record = recordExchange(exchangeOf('openai-responses', streamRequest, namedStream(events)));
    expect(record).toMatchObject({
      status: 'error',
      statusMessage: 'The server had an error while processing your request.',
    });
    expect(canonical(record)).toMatchObject({ error_type: 'server_error', finish_reasons: ['error'] });
  });
});

describe('OpenAI legacy Completions', () => {
  test('records a prompt and its completion as text_completion', async () => {
    const completion = {
      id: 'cmpl-uqkvlQyYK7bGYrRHQ0eXlWi7',
      object: 'text_completion',
      created: 1589478378,
      model: 'gpt-3.5-turbo-instruct',
      system_fingerprint: 'fp_44709d6fcb',
      choices: [{ text: '\n\nThis is indeed a test', index: 0, logprobs: null, finish_reason: 'length' }],
      usage: { prompt_tokens: 5, completion_tokens: 7, total_tokens: 12 },
    } satisfies Completion;
    const upstream = provider(json(completion));
    await openAiClient(upstream.fetch).completions.create({
      model: 'gpt-3.5-turbo-instruct',
      prompt: 'Say this is a test',
      max_tokens: 7,
      temperature: 0,
    });
    const record = recordExchange(exchangeOf('openai-completions', upstream.requests[0], json(completion)));
    expect(record).toMatchObject({ name: 'text_completion gpt-3.5-turbo-instruct', status: 'ok' });
    expect(record.attributes).toMatchObject({ 'gen_ai.request.max_tokens': 7, 'gen_ai.request.temperature': 0 });
    const mapping = canonical(record);
    expect(mapping).toMatchObject({
      kind: 'llm',
      operation: 'text_completion',
      provider: 'openai',
      model: 'gpt-3.5-turbo-instruct',
      response_id: 'cmpl-uqkvlQyYK7bGYrRHQ0eXlWi7',
      finish_reasons: ['length'],
      input_tokens: 5,
      output_tokens: 7,
    });
    expect(mapping.input_messages).toEqual([{ role: 'user', content: 'Say this is a test' }]);
    expect(mapping.output_messages).toEqual([
      { role: 'assistant', content: '\n\nThis is indeed a test', finish_reason: 'length' },
    ]);
  });

  test('streams append text by choice; token-id prompts are kept as the ids', async () => {
    // Streamed choices carry `finish_reason: null` until the last one, which the SDK's `Completion` type omits.
    const chunk = (text: string, finish: 'stop' | null) =>
      ({
        id: 'cmpl-stream',
        object: 'text_completion',
        created: 1,
        model: 'gpt-3.5-turbo-instruct',
        choices: [{ text, index: 0, logprobs: null, finish_reason: finish }],
      }) satisfies Omit<Completion, 'choices'> & {
        choices: Array<Omit<Completion['choices'][number], 'finish_reason'> & { finish_reason: 'stop' | null }>;
      };
    const answer = openAiStream([
      chunk('\n\n', null),
      chunk('This is', null),
      chunk(' a test.', 'stop'),
      { ...chunk('', null), choices: [], usage: { prompt_tokens: 4, completion_tokens: 5, total_tokens: 9 } },
    ]);
    const upstream = provider(answer);
    const stream = await openAiClient(upstream.fetch).completions.create({
      model: 'gpt-3.5-turbo-instruct',
      prompt: [1212, 318, 257, 1332],
      stream: true,
      stream_options: { include_usage: true },
    });
    let sdkText = '';
    for await (const part of stream) sdkText += part.choices[0]?.text ?? '';

    const mapping = canonical(recordExchange(exchangeOf('openai-completions', upstream.requests[0], answer)));
    expect(mapping.input_messages).toEqual([{ role: 'user', content: '[1212,318,257,1332]' }]);
    expect(mapping.output_messages).toEqual([{ role: 'assistant', content: sdkText, finish_reason: 'stop' }]);
    expect(sdkText).toBe('\n\nThis is a test.');
    expect(mapping).toMatchObject({ finish_reasons: ['stop'], input_tokens: 4, output_tokens: 5 });
  });

  test('a batch of prompts is one user message per prompt', () => {
    const mapping = canonical(
      recordExchange(exchangeOf('openai-completions', { model: 'm', prompt: ['one', 'two'] }, json({ choices: [] }))),
    );
    expect(mapping.input_messages).toEqual([
      { role: 'user', content: 'one' },
      { role: 'user', content: 'two' },
    ]);
  });
});

describe('Anthropic Messages', () => {
  const params = {
    model: 'claude-sonnet-4-5',
    max_tokens: 4096,
    thinking: { type: 'enabled', budget_tokens: 2048 },
    system: [{ type: 'text', text: 'You are a weather assistant.', cache_control: { type: 'ephemeral' } }],
    messages: [
      {
        role: 'user',
        content: [
          { type: 'text', text: 'Weather where this was taken?' },
          { type: 'image', source: { type: 'base64', media_type: 'image/jpeg', data: '/9j/4AAQSkZJRg==' } },
        ],
      },
      {
        role: 'assistant',
        content: [
          { type: 'thinking', thinking: 'I should locate the photo.', signature: 'EqQBCgIYAhIM1gbcDa9GJwZA' },
          { type: 'tool_use', id: 'toolu_01A', name: 'locate_photo', input: {} },
        ],
      },
      {
        role: 'user',
        content: [
          {
            type: 'tool_result',
            tool_use_id: 'toolu_01A',
            content: [{ type: 'text', text: 'unknown location' }],
            is_error: true,
          },
          { type: 'text', text: 'Try Paris then.' },
        ],
      },
    ],
    tools: [
      {
        name: 'get_weather',
        description: 'Current weather for a city',
        input_schema: { type: 'object', properties: { city: { type: 'string' } }, required: ['city'] },
      },
      { name: 'locate_photo', input_schema: { type: 'object', properties: {} } },
    ],
  } satisfies MessageCreateParams;
  const history = [
    { role: 'system', content: 'You are a weather assistant.' },
    {
      role: 'user',
      content: [
        { type: 'text', text: 'Weather where this was taken?' },
        { type: 'blob', modality: 'image', mime_type: 'image/jpeg', content: '/9j/4AAQSkZJRg==' },
      ],
    },
    {
      role: 'assistant',
      content: null,
      reasoning: 'I should locate the photo.',
      tool_calls: [{ id: 'toolu_01A', type: 'function', function: { name: 'locate_photo', arguments: '{}' } }],
    },
    { role: 'tool', tool_call_id: 'toolu_01A', content: 'unknown location', is_error: true },
    { role: 'user', content: 'Try Paris then.' },
  ];
  const tools = [
    {
      type: 'function',
      function: {
        name: 'get_weather',
        description: 'Current weather for a city',
        parameters: { type: 'object', properties: { city: { type: 'string' } }, required: ['city'] },
      },
    },
    { type: 'function', function: { name: 'locate_photo', parameters: { type: 'object', properties: {} } } },
  ];
  const usage = {
    input_tokens: 412,
    cache_creation_input_tokens: 0,
    cache_read_input_tokens: 1800,
    cache_creation: { ephemeral_5m_input_tokens: 0, ephemeral_1h_input_tokens: 0 },
    output_tokens: 96,
    output_tokens_details: { thinking_tokens: 40 },
    server_tool_use: null,
    service_tier: 'standard' as const,
    inference_geo: null,
    speed: null,
  };
  const expectedOutput = {
    role: 'assistant',
    content: 'Checking Paris.',
    reasoning: 'Paris it is.',
    tool_calls: [
      { id: 'toolu_01B', type: 'function', function: { name: 'get_weather', arguments: '{"city":"Paris"}' } },
    ],
    finish_reason: 'tool_call',
  };
  const expectedCall = {
    operation: 'chat',
    provider: 'anthropic',
    model: 'claude-sonnet-4-5',
    response_model: 'claude-sonnet-4-5-20250929',
    response_id: 'msg_01XgVYxVqJtQKMkNpfDdXCCc',
    finish_reasons: ['tool_use'],
    // The conventions' input count includes cache reads and writes, which Anthropic reports beside it.
    input_tokens: 412 + 1800,
    cache_read_tokens: 1800,
    cache_creation_tokens: 0,
    output_tokens: 96,
    reasoning_tokens: 40,
    tool_definitions: tools,
  };
  const message = {
    id: 'msg_01XgVYxVqJtQKMkNpfDdXCCc',
    type: 'message',
    role: 'assistant',
    model: 'claude-sonnet-4-5-20250929',
    content: [
      { type: 'thinking', thinking: 'Paris it is.', signature: 'EqQBCgIYAhIMsig' },
      { type: 'text', text: 'Checking Paris.', citations: null },
      { type: 'tool_use', id: 'toolu_01B', name: 'get_weather', input: { city: 'Paris' }, caller: { type: 'direct' } },
    ],
    stop_reason: 'tool_use',
    stop_sequence: null,
    stop_details: null,
    container: null,
    diagnostics: null,
    usage,
  } satisfies Message;

  test('records system blocks, images, thinking, tool use and tool results (errors kept) and the answer', async () => {
    const upstream = provider(json(message));
    const received = await anthropicClient(upstream.fetch).messages.create(params);
    expect(received.stop_reason).toBe('tool_use');

    const record = recordExchange(exchangeOf('anthropic-messages', upstream.requests[0], json(message)));
    expect(record).toMatchObject({ name: 'chat claude-sonnet-4-5', status: 'ok' });
    expect(record.attributes).toMatchObject({
      'gen_ai.request.max_tokens': 4096,
      'gen_ai.request.stream': false,
      'gen_ai.usage.input_tokens': 2212,
    });
    const mapping = canonical(record);
    expect(mapping).toMatchObject(expectedCall);
    expect(mapping.input_messages).toEqual(history);
    expect(mapping.output_messages).toEqual([expectedOutput]);
  });

  const { content: _content, ...started } = message;
  const streamEvents = [
    {
      type: 'message_start',
      message: { ...started, content: [], stop_reason: null, usage: { ...usage, output_tokens: 1 } },
    },
    { type: 'content_block_start', index: 0, content_block: { type: 'thinking', thinking: '', signature: '' } },
    { type: 'content_block_delta', index: 0, delta: { type: 'thinking_delta', thinking: 'Paris ' } },
    { type: 'content_block_delta', index: 0, delta: { type: 'thinking_delta', thinking: 'it is.' } },
    { type: 'content_block_delta', index: 0, delta: { type: 'signature_delta', signature: 'EqQBCgIYAhIMsig' } },
    { type: 'content_block_stop', index: 0 },
    { type: 'content_block_start', index: 1, content_block: { type: 'text', text: '', citations: null } },
    { type: 'content_block_delta', index: 1, delta: { type: 'text_delta', text: 'Checking ' } },
    { type: 'content_block_delta', index: 1, delta: { type: 'text_delta', text: 'Paris.' } },
    { type: 'content_block_stop', index: 1 },
    {
      type: 'content_block_start',
      index: 2,
      content_block: { type: 'tool_use', id: 'toolu_01B', name: 'get_weather', input: {}, caller: { type: 'direct' } },
    },
    { type: 'content_block_delta', index: 2, delta: { type: 'input_json_delta', partial_json: '' } },
    { type: 'content_block_delta', index: 2, delta: { type: 'input_json_delta', partial_json: '{"city": ' } },
    { type: 'content_block_delta', index: 2, delta: { type: 'input_json_delta', partial_json: '"Paris"}' } },
    { type: 'content_block_stop', index: 2 },
    {
      type: 'message_delta',
      delta: { stop_reason: 'tool_use', stop_sequence: null, stop_details: null, container: null },
      usage: {
        input_tokens: 412,
        cache_creation_input_tokens: 0,
        cache_read_input_tokens: 1800,
        output_tokens: 96,
        output_tokens_details: { thinking_tokens: 40 },
        server_tool_use: null,
      },
    },
    { type: 'message_stop' },
  ] satisfies RawMessageStreamEvent[];
  /** Anthropic's framing, with the `ping` it sends after message_start. */
  const anthropicStream = (events: readonly RawMessageStreamEvent[]): Answer => {
    const answer = namedStream(events);
    const [first = '', ...rest] = answer.body.split(/(?<=\n\n)/);
    return { ...answer, body: [first, 'event: ping\ndata: {"type": "ping"}\n\n', ...rest].join('') };
  };

  test('rebuilds a stream as the SDK does: thinking, text and tool input from their deltas, usage, stop reason', async () => {
    const answer = anthropicStream(streamEvents);
    const upstream = provider(answer);
    const sdkFinal = await anthropicClient(upstream.fetch).messages.stream(params).finalMessage();

    const record = recordExchange(exchangeOf('anthropic-messages', upstream.requests[0], answer));
    expect(record.status).toBe('ok');
    expect(record.attributes['gen_ai.request.stream']).toBe(true);
    const mapping = canonical(record);
    expect(mapping).toMatchObject(expectedCall);
    expect(mapping.input_messages).toEqual(history);
    expect(mapping.output_messages).toEqual([expectedOutput]);
    // The SDK's own accumulation of the same stream agrees.
    expect(sdkFinal.content).toEqual(message.content);
  });

  test('keeps URL images, tool results with images, and server tool blocks', () => {
    const request = {
      model: 'claude-sonnet-4-5',
      max_tokens: 1024,
      messages: [
        { role: 'user', content: [{ type: 'image', source: { type: 'url', url: 'https://example.com/cat.png' } }] },
        {
          role: 'assistant',
          content: [{ type: 'server_tool_use', id: 'srvtoolu_1', name: 'web_search', input: { query: 'cats' } }],
        },
        {
          role: 'user',
          content: [
            {
              type: 'tool_result',
              tool_use_id: 'toolu_9',
              content: [{ type: 'image', source: { type: 'base64', media_type: 'image/png', data: 'iVBO' } }],
            },
          ],
        },
      ],
      tools: [{ type: 'web_search_20250305', name: 'web_search', max_uses: 3 }],
    } satisfies MessageCreateParams;
    const mapping = canonical(recordExchange(exchangeOf('anthropic-messages', request, json(message))));
    expect(mapping.input_messages).toEqual([
      { role: 'user', content: [{ type: 'uri', modality: 'image', uri: 'https://example.com/cat.png' }] },
      {
        role: 'assistant',
        content: [{ type: 'server_tool_use', id: 'srvtoolu_1', name: 'web_search', input: { query: 'cats' } }],
      },
      {
        role: 'tool',
        tool_call_id: 'toolu_9',
        content: JSON.stringify([{ type: 'image', source: { type: 'base64', media_type: 'image/png', data: 'iVBO' } }]),
      },
    ]);
    // A server tool has a name but no schema: the mapping keeps it as a named tool.
    expect(mapping.tool_definitions).toEqual([{ type: 'function', function: { name: 'web_search' } }]);
  });

  test('records the sampling parameters older SDKs and other languages still send', () => {
    const record = recordExchange(
      exchangeOf(
        'anthropic-messages',
        { ...params, temperature: 0.3, top_p: 0.9, top_k: 40, stop_sequences: ['END'] },
        json(message),
      ),
    );
    expect(record.attributes).toMatchObject({
      'gen_ai.request.temperature': 0.3,
      'gen_ai.request.top_p': 0.9,
      'gen_ai.request.top_k': 40,
      'gen_ai.request.stop_sequences': ['END'],
    });
  });

  test('records a 529 overloaded answer with its message', async () => {
    const answer: Answer = {
      status: 529,
      ...json({
        type: 'error',
        error: { type: 'overloaded_error', message: 'Overloaded' },
        request_id: 'req_011CSHoEeqs5C35K2UUqR7Fy',
      }),
    };
    const upstream = provider(answer);
    await expect(anthropicClient(upstream.fetch).messages.create(params)).rejects.toBeInstanceOf(Anthropic.APIError);
    const record = recordExchange(exchangeOf('anthropic-messages', upstream.requests[0], answer));
    expect(record).toMatchObject({ status: 'error', statusMessage: 'Overloaded' });
    expect(canonical(record)).toMatchObject({ provider: 'anthropic', model: 'claude-sonnet-4-5', error_type: '529' });
  });

  test('records an error event inside a 200 stream, with what arrived before it', async () => {
    const answer = anthropicStream(streamEvents.slice(0, 9));
    answer.body +=
      'event: error\ndata: {"type": "error", "error": {"type": "overloaded_error", "message": "Overloaded"}}\n\n';
    const upstream = provider(answer);
    await expect(anthropicClient(upstream.fetch).messages.stream(params).finalMessage()).rejects.toThrow(/Overloaded/);

    const record = recordExchange(exchangeOf('anthropic-messages', upstream.requests[0], answer));
    expect(record).toMatchObject({ status: 'error', statusMessage: 'Overloaded' });
    const mapping = canonical(record);
    expect(mapping.error_type).toBe('overloaded_error');
    expect(mapping.output_messages).toEqual([
      { role: 'assistant', content: 'Checking Paris.', reasoning: 'Paris it is.' },
    ]);
  });
});

describe('calls that did not complete', () => {
  const request = { model: 'gpt-4o', messages: [{ role: 'user', content: 'Hello?' }], stream: true };

  test.each([
    ['upstream timeout after 60000 ms', 'timeout'],
    ['the upstream sent nothing for 60000 ms', 'timeout'],
    ['client aborted', 'client_aborted'],
    ['the upstream is unreachable: ECONNREFUSED', 'connection_error'],
    ['', 'connection_error'],
  ])('no answer (%j) is an error of type %s with the failure as message', (failure, type) => {
    const record = recordExchange(
      exchangeOf('openai-chat', request, { contentType: '', body: '' }, { status: 0, failure }),
    );
    expect(record.status).toBe('error');
    expect(record.statusMessage).toBe(failure || 'no answer arrived from the upstream');
    expect(canonical(record)).toMatchObject({
      model: 'gpt-4o',
      error_type: type,
      input_messages: [{ role: 'user', content: 'Hello?' }],
    });
  });

  const chunk = (content: string, finish: 'stop' | null = null) =>
    ({
      id: 'chatcmpl-cut',
      object: 'chat.completion.chunk',
      created: 1,
      model: 'gpt-4o-2024-08-06',
      choices: [{ index: 0, delta: { content }, logprobs: null, finish_reason: finish }],
    }) satisfies ChatCompletionChunk;
  const whole = openAiStream([chunk('The answer '), chunk('is 42.'), chunk('', 'stop')]).body;
  const cut = whole.slice(0, whole.indexOf('is 42.') + 3);

  test('a stream cut by the capture limit is recorded as far as it arrived, and is not an error', () => {
    const record = recordExchange(
      exchangeOf('openai-chat', request, { contentType: 'text/event-stream', body: cut }, { truncated: true }),
    );
    expect(record.status).toBe('ok');
    expect(record.attributes['trajectories.proxy.response_truncated']).toBe(true);
    expect(canonical(record).output_messages).toEqual([{ role: 'assistant', content: 'The answer ' }]);
  });

  test('a stream the client abandoned is an error with what arrived', () => {
    const record = recordExchange(
      exchangeOf(
        'openai-chat',
        request,
        { contentType: 'text/event-stream', body: cut },
        { failure: 'client aborted' },
      ),
    );
    expect(record).toMatchObject({ status: 'error', statusMessage: 'client aborted' });
    expect(canonical(record)).toMatchObject({
      error_type: 'client_aborted',
      output_messages: [{ role: 'assistant', content: 'The answer ' }],
    });
  });

  test('a client abort after the stream ended does not make the call an error', () => {
    const record = recordExchange(
      exchangeOf(
        'openai-chat',
        request,
        { contentType: 'text/event-stream', body: whole },
        { failure: 'client aborted' },
      ),
    );
    expect(record.status).toBe('ok');
  });

  test('a complete stream without its final event is an incomplete_stream error', () => {
    const record = recordExchange(exchangeOf('openai-chat', request, { contentType: 'text/event-stream', body: cut }));
    expect(record.status).toBe('error');
    expect(record.attributes['error.type']).toBe('incomplete_stream');
  });
});

describe('bodies that are not what the protocol promises', () => {
  test('a 2xx HTML page is an invalid_response; a 502 HTML page an error of type 502', () => {
    const html = { contentType: 'text/html', body: '<html><body>Bad gateway</body></html>' };
    const ok = recordExchange(exchangeOf('openai-chat', { model: 'gpt-4o', messages: [] }, html));
    expect(ok).toMatchObject({ name: 'chat gpt-4o', status: 'error' });
    expect(ok.attributes['error.type']).toBe('invalid_response');
    const bad = recordExchange(exchangeOf('anthropic-messages', { model: 'claude' }, { status: 502, ...html }));
    expect(bad).toMatchObject({ status: 'error', statusMessage: 'the upstream answered HTTP 502' });
    expect(bad.attributes['error.type']).toBe('502');
  });

  test('a request that was not JSON still names the operation and provider', () => {
    const record = recordExchange(exchangeOf('anthropic-messages', undefined, json(message())));
    expect(record.name).toBe('chat');
    expect(canonical(record)).toMatchObject({ kind: 'llm', operation: 'chat', provider: 'anthropic' });
    function message() {
      return {
        id: 'msg_1',
        type: 'message',
        role: 'assistant',
        content: [{ type: 'text', text: 'hi' }],
        stop_reason: 'end_turn',
      };
    }
  });

  test('lone surrogate escapes in the bodies become well-formed text', () => {
    const record = recordExchange(
      exchangeOf('openai-chat', JSON.parse('{"model":"gpt-\\ud83d","messages":[]}'), {
        status: 400,
        contentType: 'application/json',
        body: '{"error":{"message":"bad \\udc00 model"}}',
      }),
    );
    expect(record.name.isWellFormed()).toBe(true);
    expect(record.statusMessage.isWellFormed()).toBe(true);
    const model = record.attributes['gen_ai.request.model'];
    expect(typeof model === 'string' && model.isWellFormed()).toBe(true);
  });

  const deep = (depth: number) => '['.repeat(depth) + ']'.repeat(depth);
  const deepObject = (depth: number): unknown => JSON.parse('{"a":'.repeat(depth) + '1' + '}'.repeat(depth));
  const hostileRequests: unknown[] = [
    undefined,
    null,
    42,
    'text',
    [],
    { model: 42, messages: 'x', tools: 7, temperature: '0.2', max_tokens: Infinity, stream: 'yes' },
    {
      model: 'm',
      messages: [
        null,
        1,
        'x',
        [],
        { role: 7, content: 12, tool_calls: [{ id: 5, function: { name: 3, arguments: 9 } }] },
      ],
    },
    { model: 'm', messages: [{ role: 'user', content: JSON.parse(deep(20_000)) }] },
    {
      model: 'm',
      messages: [
        { role: 'assistant', tool_calls: [{ id: 'c', function: { name: 'f', arguments: deepObject(20_000) } }] },
      ],
    },
    {
      model: 'm',
      system: deepObject(20_000),
      input: [{ type: 'function_call_output', output: deepObject(20_000) }],
      prompt: [[1, 'x'], 2],
    },
    {
      model: 'm',
      messages: [
        {
          role: 'user',
          content: [
            { type: 'tool_result', content: deepObject(20_000) },
            { type: 'image', source: 5 },
          ],
        },
      ],
    },
    JSON.parse('{"__proto__":{"polluted":true},"model":"constructor","messages":[{"__proto__":{"role":"tool"}}]}'),
  ];
  const hostileAnswers: Answer[] = [
    { contentType: 'application/json', body: '' },
    { contentType: 'application/json', body: 'null' },
    {
      contentType: 'application/json',
      body: '{"choices":"x","usage":{"prompt_tokens":"12","completion_tokens":-5},"content":7,"output":{}}',
    },
    {
      contentType: 'application/json',
      body: `{"choices":[{"message":{"content":${deep(20_000)},"tool_calls":[{"function":{"arguments":${deep(20_000)}}}]}}],"content":[{"type":"tool_use","input":${deep(20_000)}}],"output":[{"type":"message","content":${deep(20_000)}}]}`,
    },
    { contentType: 'application/json', body: '{"error":{"message":{"nested":true},"type":5}}' },
    { contentType: 'text/event-stream', body: 'data: {not json\n\nevent: x\n\n\u0000\u0001\r\r\n:\n' },
    { contentType: 'text/event-stream', body: 'data: [DONE]\n\n' },
    {
      contentType: 'text/event-stream',
      body: `data: {"choices":[{"index":1e308,"delta":{"tool_calls":[{"index":-1,"function":{"name":7}}]}}],"type":"content_block_delta","index":"0","delta":{"type":"input_json_delta","partial_json":5}}\n\ndata: ${deep(20_000)}\n\n`,
    },
    {
      contentType: 'text/event-stream',
      body: 'event: message_start\ndata: {"type":"message_start","message":{"usage":{"input_tokens":-1}}}\n\nevent: response.completed\ndata: {"type":"response.completed","response":{"status":"completed","output":[5,{"type":7}]}}\n\n',
    },
    { contentType: '', body: '\uFEFFdata: {"type":"error"}\n\n' },
  ];
  const protocols: ProxyProtocol[] = ['openai-chat', 'openai-responses', 'openai-completions', 'anthropic-messages'];

  test('hostile requests and answers (deep nesting, wrong types, prototype keys) never throw', () => {
    const request = { model: 'm', messages: [{ role: 'user', content: 'hi' }] };
    const answer = json({ choices: [], content: [], output: [] });
    const pairs = [
      ...hostileRequests.map((hostile) => [hostile, answer] as const),
      ...hostileAnswers.map((hostile) => [request, hostile] as const),
    ];
    let recorded = 0;
    for (const protocol of protocols)
      for (const [hostileRequest, hostileAnswer] of pairs)
        for (const more of [{}, { truncated: true }, { status: 500 }, { failure: 'client aborted' }]) {
          const record = recordExchange(exchangeOf(protocol, hostileRequest, hostileAnswer, more));
          expect(['ok', 'error']).toContain(record.status);
          expect(() => canonical(record)).not.toThrow();
          recorded += 1;
        }
    expect(recorded).toBe(protocols.length * pairs.length * 4);
    expect(({} as Record<string, unknown>)['polluted']).toBeUndefined();
  });

  test('an exchange that is not one still yields a record', () => {
    const bogus = {
      protocol: 'grpc',
      request: {},
      status: 200,
      contentType: '',
      responseText: '',
      truncated: false,
      failure: '',
    };
    const record = recordExchange(bogus as unknown as ProxyExchange);
    expect(record.attributes['trajectories.proxy.recording_error']).toMatch(/unknown proxy protocol/);
    expect(recordExchange(null as unknown as ProxyExchange).status).toBe('error');
  });

  test('reads at most 10,000 messages of a request', () => {
    const messages = Array.from({ length: 50_000 }, (_, index) => ({ role: 'user', content: `message ${index}` }));
    const mapping = canonical(recordExchange(exchangeOf('openai-chat', { model: 'm', messages }, json({}))));
    expect(mapping.input_messages).toHaveLength(10_000);
    expect(mapping.input_messages?.[9_999]).toEqual({ role: 'user', content: 'message 9999' });
  });
});

describe('server-sent events', () => {
  /** The events the OpenAI SDK's own parser reads from `text`, as `{event?, data}`. */
  async function sdkEvents(text: string) {
    const events: Array<{ event?: string; data: string }> = [];
    for await (const sse of _iterSSEMessages(new Response(text), new AbortController()))
      events.push(sse.event === null ? { data: sse.data } : { event: sse.event, data: sse.data });
    return events;
  }

  test.each([
    ['LF', 'event: a\ndata: one\n\ndata: two\n\n'],
    ['CRLF', 'event: a\r\ndata: one\r\n\r\ndata: two\r\n\r\n'],
    ['CR', 'event: a\rdata: one\r\rdata: two\r\r'],
    [
      'multi-line data, comments, no space after the colon',
      ': keep-alive\ndata:first\ndata: second\n\n:\ndata:  indented\n\n',
    ],
    ['fields without a colon and unknown fields', 'data\nid: 7\nretry: 100\nfoo: bar\ndata: x\n\n'],
  ])('reads %s framing as the OpenAI SDK does', async (_name, text) => {
    expect(parseServerSentEvents(text, { complete: true }).events).toEqual(await sdkEvents(text));
  });

  test('[DONE] ends the stream; what follows is ignored', () => {
    const parsed = parseServerSentEvents('data: 1\n\ndata: [DONE]\n\ndata: 2\n\n', { complete: true });
    expect(parsed).toEqual({ events: [{ data: '1' }], done: true, limited: false });
  });

  test('an event without data is not dispatched; an empty data line is', () => {
    expect(parseServerSentEvents('event: ping\n\ndata:\n\n', { complete: true }).events).toEqual([{ data: '' }]);
  });

  test('the last event without its blank line counts only when the body is complete', () => {
    const text = '\uFEFFdata: 1\n\ndata: 2\ndata: 3';
    expect(parseServerSentEvents(text, { complete: true }).events).toEqual([{ data: '1' }, { data: '2\n3' }]);
    expect(parseServerSentEvents(text, { complete: false }).events).toEqual([{ data: '1' }]);
    expect(parseServerSentEvents('data: 1\n\ndata: 2\n', { complete: false }).events).toEqual([{ data: '1' }]);
  });

  test('stops reading at maxEvents and says so', () => {
    expect(parseServerSentEvents('data: 1\n\ndata: 2\n\ndata: 3\n\n', { complete: true, maxEvents: 2 })).toEqual({
      events: [{ data: '1' }, { data: '2' }],
      done: false,
      limited: true,
    });
  });
});
