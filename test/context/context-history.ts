/**
 * A small stored history for the context-learning interface tests: agent runs with tool calls, answers and rewards,
 * produced with the real OpenTelemetry SDK (GenAI conventions) and sent through the real OTLP exporter, under the
 * tenant of the token given. Resolves once the receiver lists every run, since the summarizer works in the
 * background.
 */
import { expect } from 'vitest';
import type { Receiver } from '../../collector/receiver.ts';
import type { TrajectorySummary } from '../../src/model/trajectory.ts';
import { createTraceExporter, exportSpans, exportSucceeded, recordSpans } from '../helpers/export-spans.ts';
import {
  agentSpan,
  call,
  chat,
  clock,
  inside,
  message,
  response,
  rewardSpan,
  text,
  tool,
} from '../trajectories/golden-traces.ts';

export interface PastToolCall {
  name: string;
  args: Record<string, unknown>;
  result: string;
  error?: boolean;
}

export interface PastRun {
  agent: string;
  task: string;
  taskId?: string;
  calls: PastToolCall[];
  answer: string;
  reward: number;
}

export async function storeRuns(receiver: Receiver, token: string, runs: PastRun[]): Promise<TrajectorySummary[]> {
  const headers = { authorization: `Bearer ${token}` };
  const hourAgo = Date.now() - 3_600_000;
  const spans = await recordSpans((tracer) => {
    for (const [index, run] of runs.entries()) {
      const time = clock(hourAgo + index * 60_000);
      const agent = agentSpan(tracer, time, 0, {
        'gen_ai.agent.name': run.agent,
        'trajectory.task.description': run.task,
        ...(run.taskId ? { 'trajectory.task.id': run.taskId } : {}),
      });
      const context = inside(agent);
      const user = message('user', text(run.task));
      const calls = run.calls.map((toolCall, callIndex) => call(`call_${callIndex}`, toolCall.name, toolCall.args));
      chat(tracer, time, context, 1, 2, [user], [message('assistant', ...calls)]);
      run.calls.forEach((toolCall, callIndex) =>
        tool(
          tracer,
          time,
          context,
          3 + callIndex,
          3.5 + callIndex,
          toolCall.name,
          `call_${callIndex}`,
          toolCall.args,
          toolCall.result,
          {
            error: toolCall.error ?? false,
          },
        ),
      );
      const afterTools = 4 + run.calls.length;
      const results = run.calls.map((toolCall, callIndex) =>
        message('tool', response(`call_${callIndex}`, toolCall.result)),
      );
      chat(
        tracer,
        time,
        context,
        afterTools,
        afterTools + 1,
        [user, message('assistant', ...calls), ...results],
        [message('assistant', text(run.answer))],
      );
      rewardSpan(tracer, time, context, afterTools + 2, run.reward);
      agent.end(time.at(afterTools + 3));
    }
  });
  const exporter = createTraceExporter('http/protobuf', { ...receiver, headers });
  expect(exportSucceeded(await exportSpans(exporter, spans))).toBe(true);
  await exporter.shutdown();
  await receiver.flush();
  const listed = await fetch(`${receiver.httpUrl}/v1/trajectories?limit=1000`, { headers });
  expect(listed.status).toBe(200);
  const { trajectories } = (await listed.json()) as { trajectories: TrajectorySummary[] };
  for (const run of runs) expect(trajectories.map((summary) => summary.task)).toContain(run.task);
  return trajectories;
}
