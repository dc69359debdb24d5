/**
 * OpenLLMetry's openai instrumentation on an agent that runs its tool itself: the real
 * `@traceloop/instrumentation-openai` around the real `openai` client, against the local model server, exported
 * over OTLP/HTTP to a real receiver. No run carries a conversation id, so stitching has only message-history
 * continuity to go on: three runs go concurrently, two of them the same task with the same prompt (parallel
 * rollouts), and each must become its own trajectory of two turns, never merged with another.
 */
import { OpenAIInstrumentation } from '@traceloop/instrumentation-openai';
import OpenAI from 'openai';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { startModelServer, type ModelServer } from '../../../examples/model-server.ts';
import type { CanonicalSpan } from '../../../src/model/span.ts';
import { startStoredAgentRuns, type StoredAgentRuns } from './stored-agent-runs.ts';
import { runWeatherAgent, type WeatherRun } from './weather-agent.ts';

const rolloutQuestion = 'What is the weather in Oslo?';
const otherQuestion = 'Weather in Madrid, please.';

let runs: StoredAgentRuns;
let modelServer: ModelServer;
let instrumentation: OpenAIInstrumentation;
let agentRuns: Array<{ question: string; run: WeatherRun }>;
let stored: CanonicalSpan[];

beforeAll(async () => {
  runs = await startStoredAgentRuns('openllmetry-weather-agent');
  modelServer = await startModelServer();
  instrumentation = new OpenAIInstrumentation({ traceContent: true });
  instrumentation.setTracerProvider(runs.tracerProvider);
  instrumentation.enable();
  // vitest loads `openai` as ESM, which require-hooks never see: Traceloop patches the client class itself.
  instrumentation.manuallyInstrument(OpenAI);
  const openai = new OpenAI({ apiKey: 'test-key', baseURL: modelServer.openaiBaseUrl, maxRetries: 0 });
  const questions = [rolloutQuestion, rolloutQuestion, otherQuestion];
  agentRuns = await Promise.all(
    questions.map(async (question) => ({ question, run: await runWeatherAgent(openai, question) })),
  );
  await runs.flush();
  stored = (await Promise.all(runs.traceIds().map((traceId) => runs.storedTrace(traceId)))).flat();
});

afterAll(async () => {
  instrumentation?.disable();
  await modelServer?.close();
  await runs?.close();
});

describe('OpenLLMetry openai instrumentation, agent runs its tool itself', () => {
  test('stores each model call as a root-less GenAI llm span of its own trace, the tool result in the next input', () => {
    expect(runs.traceIds()).toHaveLength(6);
    expect(stored).toHaveLength(6);
    for (const span of stored) {
      expect(span).toMatchObject({
        kind: 'llm',
        convention: 'genai',
        scope_name: '@traceloop/instrumentation-openai',
        parent_span_id: '',
        conversation_id: '',
      });
    }
    for (const { run } of agentRuns) {
      const call = run.toolCalls[0]!;
      const answering = stored.filter((span) =>
        span.input_messages.some((message) => message.role === 'tool' && message.tool_call_id === call.id),
      );
      expect(answering).toHaveLength(1);
      expect(answering[0]?.input_messages.at(-1)).toEqual({
        role: 'tool',
        tool_call_id: call.id,
        content: call.result,
      });
      expect(answering[0]?.output_messages[0]?.content).toBe(run.answer);
    }
  });

  // The rules under test: stitching by history continuity (rollouts with one prompt never merge), results taken
  // from the next call's input.
  test('makes one trajectory per run, parallel rollouts of one task apart, with tool results and the task', async () => {
    const summaries = await runs.trajectories();
    expect(summaries).toHaveLength(3);
    expect(summaries.filter((summary) => summary.task === rolloutQuestion)).toHaveLength(2);
    expect(summaries.filter((summary) => summary.task === otherQuestion)).toHaveLength(1);
    const callIds = new Set<string>();
    for (const summary of summaries) {
      expect(summary).toMatchObject({ turn_count: 2, tool_call_count: 1 });
      const trajectory = await runs.trajectory(summary.id);
      const [first, second] = trajectory.turns;
      const toolCall = first?.tool_calls[0];
      const run = agentRuns.find(({ run: candidate }) => candidate.toolCalls[0]?.id === toolCall?.call_id)?.run;
      expect(run, `trajectory ${summary.id} answers a call of one run`).toBeDefined();
      callIds.add(toolCall!.call_id);
      expect(toolCall).toMatchObject({
        result: run?.toolCalls[0]?.result,
        result_source: 'message',
        status: 'unknown',
      });
      expect(second?.output_message?.content).toBe(run?.answer);
    }
    expect(callIds.size).toBe(3);
  });
});
