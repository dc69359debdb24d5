/**
 * The product's zero-code instrumentation on an unmodified agent loop, end to end: two runs of
 * fixtures/tool-loop-agent.mjs (openai chat completions with tools, the first call streamed, the agent running its
 * tool itself, no `trajectory()` call) in child processes with
 * `node --import @agent-trajectories/instrumentation/register`, configured only by OTEL_* variables, exporting to a
 * real receiver with embedded ClickHouse. Each model call is
 * a root-less trace; the store must make one trajectory per run with the tool results from the next call's input.
 */
import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import type { Receiver } from '../../collector/receiver.ts';
import { startModelServer, type ModelServer } from '../../examples/model-server.ts';
import type { CanonicalSpan } from '../../src/model/span.ts';
import type { Trajectory, TrajectorySummary } from '../../src/model/trajectory.ts';
import { queryRows, startTestReceiver } from '../../test/helpers/test-receiver.ts';
import { ensureBuilt, fixtures, repositoryRoot } from './built-package.ts';

interface AgentRun {
  question: string;
  answer: string;
  toolCalls: Array<{ id: string; result: string }>;
}

const questions = ['What is the weather in Paris?', 'Is it raining in Bergen today?'];
const serviceName = 'zero-code-loop-agent';

let receiver: Receiver;
let modelServer: ModelServer;
let agentRuns: AgentRun[];
let stored: CanonicalSpan[];

function runAgent(question: string): Promise<AgentRun> {
  return new Promise((resolve, reject) => {
    execFile(
      process.execPath,
      ['--import', '@agent-trajectories/instrumentation/register', join(fixtures, 'tool-loop-agent.mjs')],
      {
        cwd: repositoryRoot,
        timeout: 30_000,
        env: {
          PATH: process.env['PATH'] ?? '',
          MODEL_SERVER_URL: modelServer.url,
          AGENT_QUESTION: question,
          OTEL_EXPORTER_OTLP_ENDPOINT: receiver.httpUrl,
          OTEL_SERVICE_NAME: serviceName,
        },
      },
      (error, stdout, stderr) =>
        error
          ? reject(new Error(`${error.message}\n${stderr}`))
          : resolve({ question, ...(JSON.parse(stdout) as Omit<AgentRun, 'question'>) }),
    );
  });
}

async function getJson<T>(path: string): Promise<T> {
  const response = await fetch(`${receiver.httpUrl}${path}`);
  expect(response.status, path).toBe(200);
  return (await response.json()) as T;
}

beforeAll(async () => {
  ensureBuilt();
  receiver = await startTestReceiver();
  modelServer = await startModelServer();
  agentRuns = await Promise.all(questions.map(runAgent));
  await receiver.flush();
  const traces = await queryRows<{ trace_id: string }>(
    receiver,
    'SELECT DISTINCT trace_id FROM spans WHERE service_name = {service:String}',
    { service: serviceName },
  );
  stored = (
    await Promise.all(traces.map(({ trace_id }) => getJson<{ spans: CanonicalSpan[] }>(`/v1/traces/${trace_id}`)))
  ).flatMap((trace) => trace.spans);
});

afterAll(async () => {
  await modelServer?.close();
  await receiver?.close();
});

describe('zero-code instrumentation on an agent loop without trajectory()', () => {
  test('stores each model call as a root-less GenAI llm span, the streamed one assembled, results in the next input', () => {
    expect(stored).toHaveLength(4);
    for (const span of stored) {
      expect(span).toMatchObject({ kind: 'llm', convention: 'genai', parent_span_id: '', service_name: serviceName });
    }
    for (const run of agentRuns) {
      const call = run.toolCalls[0]!;
      expect(run.answer).toBe(`The answer is ${call.result}.`);
      const streamed = stored.find((span) => span.output_messages[0]?.tool_calls?.[0]?.id === call.id);
      expect(streamed?.attributes['gen_ai.request.stream']).toBe(true);
      expect(streamed?.output_messages[0]?.tool_calls?.[0]?.function).toEqual({
        name: 'weather',
        arguments: JSON.stringify({ city: run.question }),
      });
      expect(streamed?.output_tokens).toBeNull();
      const answering = stored.find((span) => span.input_messages.at(-1)?.tool_call_id === call.id);
      expect(answering?.input_messages.at(-1)).toEqual({ role: 'tool', tool_call_id: call.id, content: call.result });
      expect(answering?.output_messages[0]?.content).toBe(run.answer);
    }
  });

  // The rules under test: stitching by history continuity, results taken from the next call's input.
  test('makes one trajectory per run with the tool result from the next call and the task', async () => {
    const { trajectories } = await getJson<{ trajectories: TrajectorySummary[] }>('/v1/trajectories?limit=100');
    expect(trajectories).toHaveLength(2);
    for (const run of agentRuns) {
      const summary = trajectories.find((candidate) => candidate.task === run.question);
      expect(summary, run.question).toMatchObject({ turn_count: 2, tool_call_count: 1, error_count: 0 });
      const trajectory = await getJson<Trajectory>(`/v1/trajectories/${encodeURIComponent(summary!.id)}`);
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
