/**
 * Agent runs with planted failure patterns, made with the real OpenTelemetry SDK (GenAI conventions): each run is
 * an `invoke_agent` span whose turns call one tool each (an `execute_tool` span answers, ok or failed) or answer,
 * and an optional reward span deciding the outcome (reward > 0 succeeds, <= 0 fails, none is unknown).
 */
import type { Tracer } from '@opentelemetry/api';
import type { ReadableSpan } from '@opentelemetry/sdk-trace-base';
import { recordSpans } from '../helpers/export-spans.ts';
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

export type Step = { tool: string; result: string; error?: boolean } | 'answer';

export interface PlannedRun {
  agent: string;
  taskId: string;
  task: string;
  steps: Step[];
  reward?: number;
}

export interface RecordedRun extends PlannedRun {
  plan: PlannedRun;
  id: string;
  spans: ReadableSpan[];
}

function produce(tracer: Tracer, run: PlannedRun, startMillis: number): void {
  const time = clock(startMillis);
  const agent = agentSpan(tracer, time, 0, {
    'gen_ai.agent.name': run.agent,
    'trajectory.task.id': run.taskId,
    'trajectory.task.description': run.task,
  });
  const context = inside(agent);
  const history: unknown[] = [message('user', text(run.task))];
  run.steps.forEach((step, index) => {
    const at = 3 * index + 1;
    if (step === 'answer') {
      chat(tracer, time, context, at, at + 1, history, [message('assistant', text('here is the answer'))]);
      return;
    }
    const callId = `call_${index}`;
    const assistant = message('assistant', call(callId, step.tool, { step: index }));
    chat(tracer, time, context, at, at + 1, history, [assistant]);
    tool(tracer, time, context, at + 1, at + 2, step.tool, callId, { step: index }, step.result, {
      error: step.error ?? false,
    });
    history.push(assistant, message('tool', response(callId, step.result)));
  });
  const end = 3 * run.steps.length + 1;
  if (run.reward !== undefined) rewardSpan(tracer, time, context, end, run.reward);
  agent.end(time.at(end + 1));
}

/** Records the runs one minute apart from `baseMillis`, in order (so the last one is the most recent). */
export async function recordRuns(runs: PlannedRun[], baseMillis: number): Promise<RecordedRun[]> {
  const recorded: RecordedRun[] = [];
  for (const [index, run] of runs.entries()) {
    const spans = await recordSpans((tracer) => produce(tracer, run, baseMillis + index * 60_000));
    const root = spans.find((span) => span.name.startsWith('invoke_agent'));
    if (!root) throw new Error('a planned run has no agent span');
    recorded.push({ ...run, plan: run, id: `${root.spanContext().traceId}-${root.spanContext().spanId}`, spans });
  }
  return recorded;
}
