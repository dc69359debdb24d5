/**
 * OpenInference's openai instrumentation on an agent that runs its tool itself: the real
 * `@arizeai/openinference-instrumentation-openai` around the real `openai` client, against the local model server,
 * exported over OTLP/HTTP to a real receiver. Two runs go concurrently: one inside OpenInference's `setSession`
 * (stitched by its `session.id`), one without any id (stitched by message-history continuity). Each model call is
 * its own trace with no tool or agent span; the store must still make one trajectory per run, with the tool
 * results taken from the next call's `role: tool` messages.
 */
import { context } from '@opentelemetry/api';
import { setSession } from '@arizeai/openinference-core';
import { OpenAIInstrumentation } from '@arizeai/openinference-instrumentation-openai';
import OpenAI from 'openai';
import * as openAiModule from 'openai';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { startModelServer, type ModelServer } from '../../../examples/model-server.ts';
import type { CanonicalSpan } from '../../../src/model/span.ts';
import { startStoredAgentRuns, type StoredAgentRuns } from './stored-agent-runs.ts';
import { runWeatherAgent, type WeatherRun } from './weather-agent.ts';

const sessionQuestion = 'What is the weather in Paris?';
const plainQuestion = 'What is the weather in Lisbon today?';

let runs: StoredAgentRuns;
let modelServer: ModelServer;
let instrumentation: OpenAIInstrumentation;
let sessionRun: WeatherRun;
let plainRun: WeatherRun;
let stored: CanonicalSpan[];

beforeAll(async () => {
  runs = await startStoredAgentRuns('openinference-weather-agent');
  modelServer = await startModelServer();
  instrumentation = new OpenAIInstrumentation();
  instrumentation.setTracerProvider(runs.tracerProvider);
  instrumentation.enable();
  // vitest loads `openai` as ESM, which require-hooks never see: instrument the namespace as OpenInference documents.
  // (Its type names the client class; at run time it patches `module.OpenAI.Chat...` of the namespace.)
  instrumentation.manuallyInstrument(openAiModule as unknown as typeof OpenAI);
  const openai = new OpenAI({ apiKey: 'test-key', baseURL: modelServer.openaiBaseUrl, maxRetries: 0 });
  [sessionRun, plainRun] = await Promise.all([
    context.with(setSession(context.active(), { sessionId: 'weather-session-a' }), () =>
      runWeatherAgent(openai, sessionQuestion),
    ),
    runWeatherAgent(openai, plainQuestion),
  ]);
  await runs.flush();
  stored = (await Promise.all(runs.traceIds().map((traceId) => runs.storedTrace(traceId)))).flat();
});

afterAll(async () => {
  instrumentation?.disable();
  await modelServer?.close();
  await runs?.close();
});

function callsOf(question: string): CanonicalSpan[] {
  return stored
    .filter((span) => span.input_messages.some((message) => message.role === 'user' && message.content === question))
    .sort((a, b) => (BigInt(a.start_time_unix_nano) < BigInt(b.start_time_unix_nano) ? -1 : 1));
}

describe('OpenInference openai instrumentation, agent runs its tool itself', () => {
  test('stores each model call as a root-less llm span of its own trace, with the session and the tool results', () => {
    expect(sessionRun.answer).toContain('The answer is');
    expect(runs.traceIds()).toHaveLength(4);
    expect(stored).toHaveLength(4);
    for (const span of stored) {
      expect(span).toMatchObject({ kind: 'llm', convention: 'openinference', parent_span_id: '', tool_name: '' });
    }
    for (const [question, run, conversationId] of [
      [sessionQuestion, sessionRun, 'weather-session-a'],
      [plainQuestion, plainRun, ''],
    ] as const) {
      const [first, second] = callsOf(question);
      expect(first?.conversation_id).toBe(conversationId);
      expect(second?.conversation_id).toBe(conversationId);
      expect(first?.output_messages[0]?.tool_calls?.map((call) => call.id)).toEqual([run.toolCalls[0]?.id]);
      // The history repeats the first call's input and output; only the output carries its finish reason.
      const { finish_reason: finishReason, ...firstOutput } = first!.output_messages[0]!;
      expect(finishReason).toBe('tool_calls');
      expect(second?.input_messages.slice(0, 3)).toEqual([...first!.input_messages, firstOutput]);
      expect(second?.input_messages[3]).toEqual({
        role: 'tool',
        tool_call_id: run.toolCalls[0]?.id,
        content: run.toolCalls[0]?.result,
      });
    }
  });

  // The rules under test: stitching by session id and by history continuity, results taken from the next call's input.
  test('makes one trajectory per run, with the tool result from the next call, status unknown, and the task', async () => {
    const summaries = await runs.trajectories();
    expect(summaries).toHaveLength(2);
    for (const [question, run, conversationId] of [
      [sessionQuestion, sessionRun, 'weather-session-a'],
      [plainQuestion, plainRun, ''],
    ] as const) {
      const summary = summaries.find((candidate) => candidate.task === question);
      expect(summary, question).toMatchObject({ turn_count: 2, tool_call_count: 1, conversation_id: conversationId });
      const trajectory = await runs.trajectory(summary!.id);
      expect(trajectory.turns.map((turn) => turn.status)).not.toContain('error');
      expect(trajectory.turns[0]?.tool_calls).toMatchObject([
        {
          name: 'weather',
          call_id: run.toolCalls[0]?.id,
          result: run.toolCalls[0]?.result,
          result_source: 'message',
          status: 'unknown',
        },
      ]);
      expect(trajectory.turns[1]?.output_message?.content).toBe(run.answer);
    }
  });
});
