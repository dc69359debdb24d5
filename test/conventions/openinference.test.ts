/**
 * The OpenInference mapping. The LLM span comes from the real `@arizeai/openinference-instrumentation-openai`
 * wrapped around the real `openai` client; tool, agent and multi-part spans are fixtures with the attribute names
 * of `@arizeai/openinference-semantic-conventions`, because no JS instrumentation emits them from a plain call.
 */
import { describe, expect, test } from 'vitest';
import { OpenAIInstrumentation } from '@arizeai/openinference-instrumentation-openai';
import { mapSpan } from '../../src/conventions/index.ts';
import { fixtureSpan } from './fixture-span.ts';
import { spansFromInstrumentedChatCall } from './instrumented-openai.ts';

describe('OpenInference spans', () => {
  test('maps the real OpenAI instrumentation span: messages, parallel tool calls, tools, cache and reasoning tokens', async () => {
    const spans = await spansFromInstrumentedChatCall(new OpenAIInstrumentation(), 'namespace');
    expect(spans).toHaveLength(1);
    const mapping = mapSpan(spans[0]!);
    expect(mapping).toMatchObject({
      kind: 'llm',
      convention: 'openinference',
      provider: 'openai',
      model: 'gpt-4o-mini-2024-07-18',
      input_tokens: 50,
      output_tokens: 20,
      cache_read_tokens: 10,
      reasoning_tokens: 5,
      finish_reasons: ['tool_calls'],
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

  test('maps a TOOL span: name, call id, input.value as arguments and output.value as result', () => {
    const mapping = mapSpan(
      fixtureSpan({
        attributes: {
          'openinference.span.kind': 'TOOL',
          'tool.name': 'get_weather',
          'tool.parameters': '{"type":"object","properties":{"city":{"type":"string"}}}',
          'tool_call.id': 'call_paris',
          'input.value': '{"city":"Paris"}',
          'input.mime_type': 'application/json',
          'output.value': 'sunny, 21°C',
          'output.mime_type': 'text/plain',
        },
      }),
    );
    expect(mapping).toMatchObject({
      kind: 'tool',
      convention: 'openinference',
      operation: 'execute_tool',
      tool_name: 'get_weather',
      tool_call_id: 'call_paris',
      tool_arguments: '{"city":"Paris"}',
      tool_result: 'sunny, 21°C',
    });
  });

  test('maps an AGENT span with session id and agent name, without token counts', () => {
    const mapping = mapSpan(
      fixtureSpan({
        attributes: {
          'openinference.span.kind': 'AGENT',
          'agent.name': 'planner',
          'session.id': 'session-42',
          'llm.token_count.prompt': 500,
          'llm.token_count.completion': 80,
        },
      }),
    );
    expect(mapping).toMatchObject({ kind: 'agent', agent_name: 'planner', conversation_id: 'session-42' });
    expect(mapping.input_tokens).toBeUndefined();
    expect(mapping.output_tokens).toBeUndefined();
  });

  test('maps multi-part message contents and cache writes, keeping images as content parts', () => {
    const mapping = mapSpan(
      fixtureSpan({
        attributes: {
          'openinference.span.kind': 'LLM',
          'llm.provider': 'anthropic',
          'llm.model_name': 'claude-sonnet-4',
          'llm.token_count.prompt_details.cache_write': 12,
          'llm.input_messages.0.message.role': 'user',
          'llm.input_messages.0.message.contents.0.message_content.type': 'text',
          'llm.input_messages.0.message.contents.0.message_content.text': 'What is in this picture?',
          'llm.input_messages.0.message.contents.1.message_content.type': 'image',
          'llm.input_messages.0.message.contents.1.message_content.image.image.url': 'https://example.com/cat.png',
          'llm.output_messages.0.message.role': 'assistant',
          'llm.output_messages.0.message.content': 'A cat.',
        },
      }),
    );
    expect(mapping).toMatchObject({ provider: 'anthropic', model: 'claude-sonnet-4', cache_creation_tokens: 12 });
    expect(mapping.input_messages).toEqual([
      {
        role: 'user',
        content: [
          { type: 'text', text: 'What is in this picture?' },
          { type: 'image_url', image_url: { url: 'https://example.com/cat.png' } },
        ],
      },
    ]);
    expect(mapping.output_messages).toEqual([{ role: 'assistant', content: 'A cat.' }]);
  });

  test('maps CHAIN spans to other', () => {
    expect(
      mapSpan(fixtureSpan({ attributes: { 'openinference.span.kind': 'CHAIN', 'input.value': 'x' } })),
    ).toMatchObject({
      kind: 'other',
      convention: 'openinference',
      operation: 'chain',
    });
  });

  test('keeps tool-call argument text verbatim, big integers included', () => {
    const mapping = mapSpan(
      fixtureSpan({
        attributes: {
          'openinference.span.kind': 'LLM',
          'llm.output_messages.0.message.role': 'assistant',
          'llm.output_messages.0.message.tool_calls.0.tool_call.id': 'call_1',
          'llm.output_messages.0.message.tool_calls.0.tool_call.function.name': 'get_order',
          'llm.output_messages.0.message.tool_calls.0.tool_call.function.arguments':
            '{"order_id": 12345678901234567890, "note": "a\\u00e9"}',
        },
      }),
    );
    expect(mapping.output_messages?.[0]?.tool_calls).toEqual([
      {
        id: 'call_1',
        type: 'function',
        function: { name: 'get_order', arguments: '{"order_id": 12345678901234567890, "note": "a\\u00e9"}' },
      },
    ]);
  });

  test('keeps a __proto__ key of an uninterpreted content part as data', () => {
    const mapping = mapSpan(
      fixtureSpan({
        attributes: {
          'openinference.span.kind': 'LLM',
          'llm.input_messages.0.message.role': 'user',
          'llm.input_messages.0.message.contents.0.message_content.type': 'audio',
          'llm.input_messages.0.message.contents.0.message_content.__proto__.polluted': 'yes',
        },
      }),
    );
    expect(mapping.input_messages).toEqual([
      { role: 'user', content: [{ type: 'audio', value: '{"type":"audio","__proto__":{"polluted":"yes"}}' }] },
    ]);
  });

  test('takes call ids and tool status from serialized LangChain messages only when they line up', () => {
    const serialized = (className: string, kwargs: Record<string, unknown>) => ({
      lc: 1,
      type: 'constructor',
      id: ['langchain_core', 'messages', className],
      kwargs,
    });
    const flattened = {
      'openinference.span.kind': 'LLM',
      'llm.input_messages.0.message.role': 'user',
      'llm.input_messages.0.message.content': 'Weather?',
      'llm.input_messages.1.message.role': 'assistant',
      'llm.input_messages.1.message.tool_calls.0.tool_call.function.name': 'weather',
      'llm.input_messages.1.message.tool_calls.0.tool_call.function.arguments': '{}',
      'llm.input_messages.2.message.role': 'tool',
      'llm.input_messages.2.message.content': 'sunny',
    };
    const prompt = [
      serialized('HumanMessage', { content: 'Weather?' }),
      serialized('AIMessage', { content: '', tool_calls: [{ name: 'weather', args: {}, id: 'call_w' }] }),
      serialized('ToolMessage', { content: 'sunny', tool_call_id: 'call_w', status: 'error' }),
    ];
    const lined = mapSpan(
      fixtureSpan({ attributes: { ...flattened, 'input.value': JSON.stringify({ messages: [prompt] }) } }),
    );
    expect(lined.input_messages?.[1]?.tool_calls?.[0]?.id).toBe('call_w');
    expect(lined.input_messages?.[2]).toMatchObject({ tool_call_id: 'call_w', is_error: true });

    // One message fewer (or another role at a position): positions mean nothing, ids stay unknown.
    const misaligned = mapSpan(
      fixtureSpan({ attributes: { ...flattened, 'input.value': JSON.stringify({ messages: [prompt.slice(1)] }) } }),
    );
    expect(misaligned.input_messages?.[1]?.tool_calls?.[0]?.id).toBe('');
    expect(misaligned.input_messages?.[2]).toEqual({ role: 'tool', content: 'sunny' });
  });

  test("reads a LangChain TOOL span's serialized ToolMessage as its result and call id", () => {
    const mapping = mapSpan(
      fixtureSpan({
        attributes: {
          'openinference.span.kind': 'TOOL',
          'tool.name': 'weather',
          'input.value': 'Rome',
          'output.value': JSON.stringify({
            output: {
              lc: 1,
              type: 'constructor',
              id: ['langchain_core', 'messages', 'ToolMessage'],
              kwargs: { status: 'success', content: 'sunny', tool_call_id: 'call_r', name: 'weather' },
            },
          }),
        },
      }),
    );
    expect(mapping).toMatchObject({ kind: 'tool', tool_name: 'weather', tool_call_id: 'call_r', tool_result: 'sunny' });
  });
});
