/**
 * The OTel GenAI semconv mapping. The JSON-string form comes from the real `@traceloop/instrumentation-openai`
 * (current releases emit `gen_ai.input.messages` / `gen_ai.output.messages`); structured AnyValues, system
 * instructions, agent and tool spans, legacy events and old token names are fixtures spelled as the semconv
 * registry (open-telemetry/semantic-conventions, docs/registry/attributes/gen-ai.md) defines them.
 */
import { describe, expect, test } from 'vitest';
import { OpenAIInstrumentation } from '@traceloop/instrumentation-openai';
import { mapSpan } from '../../src/conventions/index.ts';
import { genAiMapper } from '../../src/conventions/genai.ts';
import type { AttributeValue, Attributes } from '../../src/model/otlp.ts';
import { fixtureSpan } from './fixture-span.ts';
import { spansFromInstrumentedChatCall } from './instrumented-openai.ts';

const PARALLEL_CALLS = [
  { id: 'call_paris', type: 'function', function: { name: 'get_weather', arguments: '{"city":"Paris"}' } },
  { id: 'call_rome', type: 'function', function: { name: 'get_weather', arguments: '{"city":"Rome"}' } },
];

describe('GenAI semconv spans', () => {
  test('maps JSON-string messages from the real Traceloop OpenAI instrumentation', async () => {
    const spans = await spansFromInstrumentedChatCall(
      new OpenAIInstrumentation({ traceContent: true }),
      'client-class',
    );
    expect(spans).toHaveLength(1);
    const mapping = mapSpan(spans[0]!);
    expect(mapping).toMatchObject({
      kind: 'llm',
      convention: 'genai',
      operation: 'chat',
      provider: 'openai',
      model: 'gpt-4o-mini',
      response_model: 'gpt-4o-mini-2024-07-18',
      response_id: 'chatcmpl-test-1',
      input_tokens: 50,
      output_tokens: 20,
      tool_definitions: [
        { type: 'function', function: { name: 'get_weather', description: 'Current weather for a city' } },
      ],
    });
    expect(mapping.input_messages).toEqual([
      { role: 'system', content: 'You are a weather assistant.' },
      { role: 'user', content: 'Weather in Oslo, Paris and Rome?' },
      {
        role: 'assistant',
        content: null,
        tool_calls: [
          { id: 'call_oslo', type: 'function', function: { name: 'get_weather', arguments: '{"city":"Oslo"}' } },
        ],
      },
      { role: 'tool', tool_call_id: 'call_oslo', content: '{"temperature":3}' },
    ]);
    expect(mapping.output_messages).toEqual([
      { role: 'assistant', content: null, tool_calls: PARALLEL_CALLS, finish_reason: 'tool_call' },
    ]);
    expect(mapping.finish_reasons).toEqual(['tool_call']);
  });

  test('maps structured AnyValue messages, system instructions, reasoning, media parts and tool_call_response results', () => {
    const mapping = mapSpan(
      fixtureSpan({
        name: 'chat gemini-2.5-pro',
        attributes: {
          'gen_ai.operation.name': 'generate_content',
          'gen_ai.provider.name': 'gcp.gemini',
          'gen_ai.request.model': 'gemini-2.5-pro',
          'gen_ai.system_instructions': [{ type: 'text', content: 'You are terse.' }],
          'gen_ai.input.messages': [
            {
              role: 'user',
              parts: [
                { type: 'text', content: 'Describe it' },
                { type: 'uri', modality: 'image', uri: 'gs://bucket/cat.png' },
              ],
            },
            { role: 'model', parts: [{ type: 'tool_call', id: 'call_1', name: 'lookup', arguments: { q: 'cat' } }] },
            { role: 'tool', parts: [{ type: 'tool_call_response', id: 'call_1', result: { found: true } }] },
          ],
          'gen_ai.output.messages': [
            {
              role: 'model',
              parts: [
                { type: 'reasoning', content: 'It is a cat.' },
                { type: 'text', content: 'A cat.' },
              ],
              finish_reason: 'stop',
            },
          ],
          'gen_ai.usage.input_tokens': 100n,
          'gen_ai.usage.output_tokens': 30,
          'gen_ai.usage.cache_read.input_tokens': 40,
          'gen_ai.usage.cache_creation.input_tokens': 8,
          'gen_ai.usage.reasoning.output_tokens': 12,
          'gen_ai.response.finish_reasons': ['stop'],
          'gen_ai.conversation.id': 'conv-1',
          'trajectory.task.id': 'task-9',
          'trajectory.task.description': 'Describe the image',
        },
      }),
    );
    expect(mapping).toMatchObject({
      kind: 'llm',
      convention: 'genai',
      provider: 'gcp.gemini',
      input_tokens: 100,
      output_tokens: 30,
      cache_read_tokens: 40,
      cache_creation_tokens: 8,
      reasoning_tokens: 12,
      finish_reasons: ['stop'],
      conversation_id: 'conv-1',
      task_id: 'task-9',
      task: 'Describe the image',
    });
    expect(mapping.input_messages).toEqual([
      { role: 'system', content: 'You are terse.' },
      {
        role: 'user',
        content: [
          { type: 'text', text: 'Describe it' },
          { type: 'uri', modality: 'image', uri: 'gs://bucket/cat.png' },
        ],
      },
      {
        role: 'assistant',
        content: null,
        tool_calls: [{ id: 'call_1', type: 'function', function: { name: 'lookup', arguments: '{"q":"cat"}' } }],
      },
      { role: 'tool', tool_call_id: 'call_1', content: '{"found":true}' },
    ]);
    expect(mapping.output_messages).toEqual([
      { role: 'assistant', content: 'A cat.', reasoning: 'It is a cat.', finish_reason: 'stop' },
    ]);
  });

  test('reads the replaced names: gen_ai.system and prompt/completion token counts', () => {
    const mapping = mapSpan(
      fixtureSpan({
        attributes: {
          'gen_ai.operation.name': 'text_completion',
          'gen_ai.system': 'openai',
          'gen_ai.response.model': 'gpt-3.5-turbo-instruct',
          'gen_ai.usage.prompt_tokens': 11,
          'gen_ai.usage.completion_tokens': 7,
        },
      }),
    );
    expect(mapping).toMatchObject({
      kind: 'llm',
      provider: 'openai',
      model: 'gpt-3.5-turbo-instruct',
      input_tokens: 11,
      output_tokens: 7,
    });
  });

  test('falls back to legacy per-message span events when the message attributes are absent', () => {
    const mapping = mapSpan(
      fixtureSpan({
        attributes: { 'gen_ai.operation.name': 'chat', 'gen_ai.system': 'openai', 'gen_ai.request.model': 'gpt-4o' },
        events: [
          { name: 'gen_ai.system.message', attributes: { content: 'Be brief.' } },
          { name: 'gen_ai.user.message', attributes: { content: 'Weather?' } },
          {
            name: 'gen_ai.assistant.message',
            attributes: {
              tool_calls: [
                { id: 'call_1', type: 'function', function: { name: 'get_weather', arguments: { city: 'Paris' } } },
              ],
            },
          },
          { name: 'gen_ai.tool.message', attributes: { id: 'call_1', content: 'rainy' } },
          {
            name: 'gen_ai.choice',
            attributes: { index: 0, finish_reason: 'stop', message: { role: 'assistant', content: 'It is rainy.' } },
          },
        ],
      }),
    );
    expect(mapping.input_messages).toEqual([
      { role: 'system', content: 'Be brief.' },
      { role: 'user', content: 'Weather?' },
      {
        role: 'assistant',
        content: null,
        tool_calls: [
          { id: 'call_1', type: 'function', function: { name: 'get_weather', arguments: '{"city":"Paris"}' } },
        ],
      },
      { role: 'tool', tool_call_id: 'call_1', content: 'rainy' },
    ]);
    expect(mapping.output_messages).toEqual([{ role: 'assistant', content: 'It is rainy.', finish_reason: 'stop' }]);
  });

  test('maps an execute_tool span with call id, structured arguments and result', () => {
    const mapping = mapSpan(
      fixtureSpan({
        name: 'execute_tool get_weather',
        attributes: {
          'gen_ai.operation.name': 'execute_tool',
          'gen_ai.tool.name': 'get_weather',
          'gen_ai.tool.call.id': 'call_paris',
          'gen_ai.tool.type': 'function',
          'gen_ai.tool.call.arguments': { city: 'Paris' },
          'gen_ai.tool.call.result': '{"temperature":21}',
          'error.type': 'TimeoutError',
        },
      }),
    );
    expect(mapping).toMatchObject({
      kind: 'tool',
      tool_name: 'get_weather',
      tool_call_id: 'call_paris',
      tool_arguments: '{"city":"Paris"}',
      tool_result: '{"temperature":21}',
      error_type: 'TimeoutError',
    });
  });

  test('maps invoke_agent and create_agent spans to agent spans that never carry token counts', () => {
    const invoke = mapSpan(
      fixtureSpan({
        attributes: {
          'gen_ai.operation.name': 'invoke_agent',
          'gen_ai.agent.name': 'Weather agent',
          'gen_ai.agent.id': 'asst_1',
          'gen_ai.conversation.id': 'conv-2',
          'gen_ai.usage.input_tokens': 900,
          'gen_ai.usage.output_tokens': 120,
        },
      }),
    );
    expect(invoke).toMatchObject({
      kind: 'agent',
      convention: 'genai',
      agent_name: 'Weather agent',
      agent_id: 'asst_1',
      conversation_id: 'conv-2',
    });
    expect(invoke.input_tokens).toBeUndefined();
    expect(invoke.output_tokens).toBeUndefined();
    expect(mapSpan(fixtureSpan({ attributes: { 'gen_ai.operation.name': 'create_agent' } })).kind).toBe('agent');
  });

  test('maps embeddings spans to other', () => {
    const mapping = mapSpan(
      fixtureSpan({
        attributes: { 'gen_ai.operation.name': 'embeddings', 'gen_ai.request.model': 'text-embedding-3-small' },
      }),
    );
    expect(mapping).toMatchObject({ kind: 'other', operation: 'embeddings', model: 'text-embedding-3-small' });
  });

  test('maps a span without any known convention to kind other and convention none', () => {
    expect(mapSpan(fixtureSpan({ attributes: { 'http.method': 'GET' } }))).toEqual({
      kind: 'other',
      convention: 'none',
    });
  });

  test('keeps the text of messages that are not in the parts shape', () => {
    const mapping = mapSpan(
      fixtureSpan({
        attributes: {
          'gen_ai.operation.name': 'chat',
          'gen_ai.input.messages': '[{"role":"human","content":"hello"}]',
        },
      }),
    );
    expect(mapping.input_messages).toEqual([{ role: 'user', content: 'hello' }]);
  });

  test('never reads Object.prototype members for untrusted roles and operation names', () => {
    const mapping = mapSpan(
      fixtureSpan({
        attributes: {
          'gen_ai.operation.name': 'toString',
          'gen_ai.input.messages': [{ role: 'constructor', parts: [{ type: 'text', content: 'hi' }] }],
        },
      }),
    );
    expect(mapping.kind).toBe('other');
    expect(mapping.input_messages).toEqual([{ role: 'user', content: 'hi' }]);
  });

  test('keeps structured and list tool results whole as JSON text, and typed part lists as their text', () => {
    const mapping = mapSpan(
      fixtureSpan({
        attributes: {
          'gen_ai.operation.name': 'chat',
          'gen_ai.input.messages': [
            {
              role: 'tool',
              parts: [
                { type: 'tool_call_response', id: 'call_1', response: { content: 'ok', status: 200 } },
                { type: 'tool_call_response', id: 'call_2', response: ['doc1', 'doc2'] },
                { type: 'tool_call_response', id: 'call_3', response: 'plain text' },
                {
                  type: 'tool_call_response',
                  id: 'call_4',
                  response: [
                    { type: 'text', text: 'from ' },
                    { type: 'text', text: 'parts' },
                  ],
                },
              ],
            },
          ],
        },
      }),
    );
    expect(mapping.input_messages).toEqual([
      { role: 'tool', tool_call_id: 'call_1', content: '{"content":"ok","status":200}' },
      { role: 'tool', tool_call_id: 'call_2', content: '["doc1","doc2"]' },
      { role: 'tool', tool_call_id: 'call_3', content: 'plain text' },
      { role: 'tool', tool_call_id: 'call_4', content: 'from parts' },
    ]);
  });

  test('does not repeat system instructions that the input messages already start with', () => {
    const mapping = mapSpan(
      fixtureSpan({
        attributes: {
          'gen_ai.operation.name': 'chat',
          'gen_ai.system_instructions': [{ type: 'text', content: 'You are terse.' }],
          'gen_ai.input.messages': [
            { role: 'system', parts: [{ type: 'text', content: 'You are terse.' }] },
            { role: 'user', parts: [{ type: 'text', content: 'Hi' }] },
          ],
        },
      }),
    );
    expect(mapping.input_messages).toEqual([
      { role: 'system', content: 'You are terse.' },
      { role: 'user', content: 'Hi' },
    ]);
  });

  test('reads only the marker keys (and trajectory.*) of a span that is not GenAI', () => {
    const read = new Set<string>();
    const attributes = new Proxy<Attributes>(
      { 'http.method': 'GET', 'gen_ai.usage.input_tokens': 5, 'gen_ai.system_instructions': 'unused' },
      {
        get(target, key, receiver) {
          if (typeof key === 'string') read.add(key);
          return Reflect.get(target, key, receiver) as unknown;
        },
      },
    );
    expect(genAiMapper.map(fixtureSpan({ attributes }))).toBeUndefined();
    expect([...read].filter((key) => !key.startsWith('trajectory.')).sort()).toEqual([
      'gen_ai.agent.name',
      'gen_ai.input.messages',
      'gen_ai.operation.name',
      'gen_ai.output.messages',
      'gen_ai.provider.name',
      'gen_ai.request.model',
      'gen_ai.system',
      'gen_ai.tool.name',
    ]);
  });

  test('loses only the depth of an attribute nested thousands of levels deep, not the span mapping', () => {
    let deep: AttributeValue = 'bottom';
    for (let level = 0; level < 5000; level++) deep = { nested: deep };
    const mapping = mapSpan(
      fixtureSpan({
        attributes: {
          'gen_ai.operation.name': 'execute_tool',
          'gen_ai.tool.name': 'explode',
          'gen_ai.tool.call.id': 'call_deep',
          'gen_ai.tool.call.arguments': deep,
          'gen_ai.tool.call.result': 'done',
        },
      }),
    );
    expect(mapping).toMatchObject({
      kind: 'tool',
      convention: 'genai',
      tool_name: 'explode',
      tool_call_id: 'call_deep',
      tool_result: 'done',
    });
    expect(mapping.tool_arguments).toMatch(/^\{"nested":\{"nested":.*"\[nested too deep\]"\}+$/);
  });
});
