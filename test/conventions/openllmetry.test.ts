/**
 * The OpenLLMetry mapping, on fixtures: current `@traceloop/instrumentation-openai` releases emit GenAI semconv
 * messages (covered by genai.test.ts with the real instrumentation), so the flattened `gen_ai.prompt.{i}.*` /
 * `gen_ai.completion.{i}.*` format of earlier releases and of the Python SDK, and the SDK's decorator spans
 * (`traceloop.span.kind`, `traceloop.entity.*`), are spelled here from `@traceloop/ai-semantic-conventions` and the
 * instrumentation sources.
 */
import { describe, expect, test } from 'vitest';
import { mapSpan } from '../../src/conventions/index.ts';
import { fixtureSpan } from './fixture-span.ts';

describe('OpenLLMetry spans', () => {
  test('maps flattened prompts and completions with parallel tool calls, tool results and functions', () => {
    const mapping = mapSpan(
      fixtureSpan({
        name: 'openai.chat',
        attributes: {
          'llm.request.type': 'chat',
          'gen_ai.system': 'OpenAI',
          'gen_ai.request.model': 'gpt-4o',
          'gen_ai.response.model': 'gpt-4o-2024-08-06',
          'gen_ai.usage.prompt_tokens': 42,
          'gen_ai.usage.completion_tokens': 17,
          'gen_ai.usage.cache_read_input_tokens': 30,
          'gen_ai.prompt.0.role': 'system',
          'gen_ai.prompt.0.content': 'You are a weather assistant.',
          'gen_ai.prompt.1.role': 'user',
          'gen_ai.prompt.1.content': 'Weather in Oslo?',
          'gen_ai.prompt.2.role': 'assistant',
          'gen_ai.prompt.2.tool_calls.0.id': 'call_oslo',
          'gen_ai.prompt.2.tool_calls.0.name': 'get_weather',
          'gen_ai.prompt.2.tool_calls.0.arguments': '{"city":"Oslo"}',
          'gen_ai.prompt.3.role': 'tool',
          'gen_ai.prompt.3.content': '{"temperature":3}',
          'gen_ai.prompt.3.tool_call_id': 'call_oslo',
          'gen_ai.completion.0.role': 'assistant',
          'gen_ai.completion.0.finish_reason': 'tool_calls',
          'gen_ai.completion.0.tool_calls.0.id': 'call_paris',
          'gen_ai.completion.0.tool_calls.0.name': 'get_weather',
          'gen_ai.completion.0.tool_calls.0.arguments': '{"city":"Paris"}',
          'gen_ai.completion.0.tool_calls.1.id': 'call_rome',
          'gen_ai.completion.0.tool_calls.1.name': 'get_weather',
          'gen_ai.completion.0.tool_calls.1.arguments': '{"city":"Rome"}',
          'llm.request.functions.0.name': 'get_weather',
          'llm.request.functions.0.description': 'Current weather for a city',
          'llm.request.functions.0.parameters': '{"type":"object","properties":{"city":{"type":"string"}}}',
        },
      }),
    );
    expect(mapping).toMatchObject({
      kind: 'llm',
      convention: 'openllmetry',
      operation: 'chat',
      provider: 'OpenAI',
      model: 'gpt-4o',
      response_model: 'gpt-4o-2024-08-06',
      input_tokens: 42,
      output_tokens: 17,
      cache_read_tokens: 30,
      finish_reasons: ['tool_calls'],
      tool_definitions: [
        {
          type: 'function',
          function: {
            name: 'get_weather',
            description: 'Current weather for a city',
            parameters: { type: 'object', properties: { city: { type: 'string' } } },
          },
        },
      ],
    });
    expect(mapping.input_messages).toEqual([
      { role: 'system', content: 'You are a weather assistant.' },
      { role: 'user', content: 'Weather in Oslo?' },
      {
        role: 'assistant',
        content: null,
        tool_calls: [
          { id: 'call_oslo', type: 'function', function: { name: 'get_weather', arguments: '{"city":"Oslo"}' } },
        ],
      },
      { role: 'tool', content: '{"temperature":3}', tool_call_id: 'call_oslo' },
    ]);
    expect(mapping.output_messages).toEqual([
      {
        role: 'assistant',
        content: null,
        finish_reason: 'tool_calls',
        tool_calls: [
          { id: 'call_paris', type: 'function', function: { name: 'get_weather', arguments: '{"city":"Paris"}' } },
          { id: 'call_rome', type: 'function', function: { name: 'get_weather', arguments: '{"city":"Rome"}' } },
        ],
      },
    ]);
  });

  test('maps a tool decorator span: entity name, keyword arguments as JSON and output', () => {
    const mapping = mapSpan(
      fixtureSpan({
        name: 'get_weather.tool',
        attributes: {
          'traceloop.span.kind': 'tool',
          'traceloop.entity.name': 'get_weather',
          'traceloop.entity.input': '{"args":[],"kwargs":{"city":"Paris"}}',
          'traceloop.entity.output': '{"temperature":21}',
        },
      }),
    );
    expect(mapping).toMatchObject({
      kind: 'tool',
      convention: 'openllmetry',
      tool_name: 'get_weather',
      tool_arguments: '{"city":"Paris"}',
      tool_result: '{"temperature":21}',
    });
  });

  test('maps agent spans with their entity name and workflow spans as other', () => {
    expect(
      mapSpan(fixtureSpan({ attributes: { 'traceloop.span.kind': 'agent', 'traceloop.entity.name': 'planner' } })),
    ).toMatchObject({
      kind: 'agent',
      agent_name: 'planner',
    });
    expect(
      mapSpan(fixtureSpan({ attributes: { 'traceloop.span.kind': 'workflow', 'traceloop.entity.name': 'trip' } })),
    ).toMatchObject({
      kind: 'other',
      convention: 'openllmetry',
      operation: 'workflow',
    });
  });

  test('maps completion requests to text_completion', () => {
    const mapping = mapSpan(
      fixtureSpan({
        attributes: {
          'llm.request.type': 'completion',
          'gen_ai.prompt.0.content': 'Once upon',
          'gen_ai.completion.0.content': ' a time',
        },
      }),
    );
    expect(mapping).toMatchObject({
      kind: 'llm',
      operation: 'text_completion',
      input_messages: [{ role: 'user', content: 'Once upon' }],
      output_messages: [{ role: 'assistant', content: ' a time' }],
    });
  });

  test('never reads Object.prototype members for untrusted span kinds and request types', () => {
    expect(mapSpan(fixtureSpan({ attributes: { 'traceloop.span.kind': 'constructor' } }))).toMatchObject({
      kind: 'other',
      operation: 'constructor',
    });
    const mapping = mapSpan(
      fixtureSpan({ attributes: { 'llm.request.type': 'toString', 'gen_ai.prompt.0.content': 'hi' } }),
    );
    expect(mapping).toMatchObject({ kind: 'llm', operation: 'chat' });
  });

  test('keeps message content verbatim unless it is a JSON list of typed parts', () => {
    const mapping = mapSpan(
      fixtureSpan({
        attributes: {
          'llm.request.type': 'chat',
          'gen_ai.prompt.0.role': 'user',
          'gen_ai.prompt.0.content': '[{"type":"text","text":"List two "},{"type":"text","text":"fruits as JSON"}]',
          'gen_ai.completion.0.role': 'assistant',
          'gen_ai.completion.0.content': '["apple", "banana"]',
        },
      }),
    );
    expect(mapping.input_messages).toEqual([{ role: 'user', content: 'List two fruits as JSON' }]);
    expect(mapping.output_messages).toEqual([{ role: 'assistant', content: '["apple", "banana"]' }]);
  });

  test('maps embedding requests to other/embeddings without chat messages or token counts', () => {
    const mapping = mapSpan(
      fixtureSpan({
        name: 'openai.embeddings',
        attributes: {
          'llm.request.type': 'embedding',
          'gen_ai.system': 'OpenAI',
          'gen_ai.request.model': 'text-embedding-3-small',
          'gen_ai.prompt.0.content': 'text to embed',
          'gen_ai.usage.prompt_tokens': 4,
          'llm.usage.total_tokens': 4,
        },
      }),
    );
    expect(mapping).toMatchObject({
      kind: 'other',
      convention: 'openllmetry',
      operation: 'embeddings',
      model: 'text-embedding-3-small',
    });
    expect(mapping.input_messages).toBeUndefined();
    expect(mapping.input_tokens).toBeUndefined();
    expect(mapping.output_tokens).toBeUndefined();
  });
});
