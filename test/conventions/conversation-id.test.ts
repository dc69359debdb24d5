/**
 * Conversation ids onto the canonical `conversation_id`, from every convention's spelling and on spans of any
 * convention: root-less model calls are stitched into one trajectory by this id. OpenInference's session comes
 * from its real `setSession` around a real instrumented call; the other spellings are fixtures named after their
 * sources (OpenLLMetry's `AssociationProperty.SESSION_ID`, Langfuse's attribute table, the AI SDK metadata keys).
 */
import { context } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import { setSession } from '@arizeai/openinference-core';
import { OpenAIInstrumentation } from '@arizeai/openinference-instrumentation-openai';
import { describe, expect, test } from 'vitest';
import { mapLogRecord, mapSpan } from '../../src/conventions/index.ts';
import type { Attributes, OtlpLogRecord } from '../../src/model/otlp.ts';
import { fixtureSpan } from './fixture-span.ts';
import { spansFromInstrumentedChatCall } from './instrumented-openai.ts';

// What an agent's NodeSDK registers; without a context manager `context.with` carries nothing.
context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable());

const openAiChatSpan: Attributes = {
  'gen_ai.operation.name': 'chat',
  'gen_ai.provider.name': 'openai',
  'gen_ai.request.model': 'gpt-4o',
};

describe('conversation ids', () => {
  test("maps OpenInference's session.id from the real openai instrumentation run under setSession", async () => {
    const spans = await spansFromInstrumentedChatCall(new OpenAIInstrumentation(), 'namespace', (call) =>
      context.with(setSession(context.active(), { sessionId: 'session-from-context' }), call),
    );
    expect(spans).toHaveLength(1);
    expect(spans[0]?.attributes['session.id']).toBe('session-from-context');
    expect(mapSpan(spans[0]!)).toMatchObject({
      kind: 'llm',
      convention: 'openinference',
      conversation_id: 'session-from-context',
    });
  });

  test.each([
    ['gen_ai.conversation.id', 'conv-genai'],
    ['session.id', 'session-openinference'],
    ['langfuse.session.id', 'session-langfuse'],
    ['traceloop.association.properties.session_id', 'session-traceloop'],
    ['traceloop.association.properties.thread_id', 'thread-traceloop'],
  ])('maps %s on a GenAI chat span', (attribute, id) => {
    expect(mapSpan(fixtureSpan({ attributes: { ...openAiChatSpan, [attribute]: id } }))).toMatchObject({
      kind: 'llm',
      convention: 'genai',
      conversation_id: id,
    });
  });

  test('maps OpenLLMetry association properties on a span of its flattened format', () => {
    const mapping = mapSpan(
      fixtureSpan({
        attributes: {
          'llm.request.type': 'chat',
          'gen_ai.prompt.0.role': 'user',
          'gen_ai.prompt.0.content': 'Hi',
          'traceloop.association.properties.session_id': 'session-7',
          'traceloop.association.properties.user_id': 'user-1',
        },
      }),
    );
    expect(mapping).toMatchObject({ kind: 'llm', convention: 'openllmetry', conversation_id: 'session-7' });
  });

  test('maps an id on a span no convention claims, without claiming it', () => {
    const mapping = mapSpan(fixtureSpan({ attributes: { 'langfuse.session.id': 'session-plain', http: 'GET' } }));
    expect(mapping).toEqual({ kind: 'other', convention: 'none', conversation_id: 'session-plain' });
  });

  test('prefers gen_ai.conversation.id, then session.id, then Langfuse, then OpenLLMetry session, then thread', () => {
    const all: Attributes = {
      'traceloop.association.properties.thread_id': 'thread',
      'traceloop.association.properties.session_id': 'traceloop',
      'langfuse.session.id': 'langfuse',
      'session.id': 'session',
      'gen_ai.conversation.id': 'genai',
    };
    const order = ['genai', 'session', 'langfuse', 'traceloop', 'thread'];
    const keys = Object.keys(all).reverse();
    for (const [index, expected] of order.entries()) {
      const attributes = Object.fromEntries(keys.slice(index).map((key) => [key, all[key]!]));
      expect(mapSpan(fixtureSpan({ attributes: { ...openAiChatSpan, ...attributes } })).conversation_id).toBe(expected);
    }
  });

  test('ignores empty ids and keeps looking', () => {
    const mapping = mapSpan(
      fixtureSpan({ attributes: { ...openAiChatSpan, 'gen_ai.conversation.id': '', 'session.id': 'session-2' } }),
    );
    expect(mapping.conversation_id).toBe('session-2');
  });

  test('maps AI SDK telemetry metadata sessionId / conversationId, below an id set on the span itself', () => {
    const provider = { 'ai.operationId': 'ai.generateText.doGenerate', 'ai.model.id': 'gpt-4o' };
    expect(
      mapSpan(fixtureSpan({ attributes: { ...provider, 'ai.telemetry.metadata.sessionId': 'meta-session' } })),
    ).toMatchObject({ convention: 'vercel-ai', conversation_id: 'meta-session' });
    expect(
      mapSpan(fixtureSpan({ attributes: { ...provider, 'ai.telemetry.metadata.conversationId': 'meta-conv' } })),
    ).toMatchObject({ conversation_id: 'meta-conv' });
    expect(
      mapSpan(
        fixtureSpan({
          attributes: {
            ...provider,
            'ai.telemetry.metadata.sessionId': 'meta-session',
            'gen_ai.conversation.id': 'on-the-span',
          },
        }),
      ).conversation_id,
    ).toBe('on-the-span');
  });

  test('maps every spelling on a gen_ai.client.inference.operation.details log record', () => {
    const record: OtlpLogRecord = {
      resource: { attributes: {}, droppedAttributesCount: 0 },
      scope: { name: 'test', version: '', attributes: {} },
      timeUnixNano: 1n,
      observedTimeUnixNano: 1n,
      severityNumber: 9,
      severityText: 'INFO',
      body: null,
      attributes: { ...openAiChatSpan, 'traceloop.association.properties.session_id': 'session-in-log' },
      droppedAttributesCount: 0,
      flags: 0,
      traceId: '0af7651916cd43dd8448eb211c80319c',
      spanId: 'b7ad6b7169203331',
      eventName: 'gen_ai.client.inference.operation.details',
    };
    expect(mapLogRecord(record).operation_details?.conversation_id).toBe('session-in-log');
  });
});
