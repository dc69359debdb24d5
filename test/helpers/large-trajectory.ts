/**
 * One long agent loop as a single trace, for tests and measurements of big reads: an invoke_agent root, then
 * `calls` chat spans each followed by the tool execution it asked for (2 * calls spans in all, less one, plus the
 * root). Each chat re-sends a trimmed history (the system prompt, the task and the last few messages), as agents
 * with context compaction do, so the trace is large in spans without being quadratic in content.
 */
import type { ReadableSpan } from '@opentelemetry/sdk-trace-base';
import { recordSpans } from './export-spans.ts';
import { agentSpan, call, chat, clock, inside, message, response, text, tool } from '../trajectories/golden-traces.ts';

const keptHistory = 6;

export async function recordLargeTrajectory(calls: number, baseMillis: number, taskId = 'large-task') {
  return recordSpans((tracer) => {
    const time = clock(baseMillis);
    const agent = agentSpan(tracer, time, 0, {
      'gen_ai.agent.name': 'long-runner',
      'trajectory.task.id': taskId,
      'trajectory.task.description': 'a very long loop',
    });
    const context = inside(agent);
    const system = message('system', text('You are a careful agent that works in many small steps.'));
    const task = message('user', text(`Task ${taskId}: keep going until done`));
    const recent: unknown[] = [];
    // Milliseconds per step, so a 10k-call loop still fits in a few hours of timestamps.
    const step = 0.01;
    for (let index = 0; index < calls; index++) {
      const start = 1 + index * step;
      const last = index === calls - 1;
      const callId = `call_${index}`;
      const output = last
        ? message('assistant', text(`Done after ${calls} steps.`))
        : message('assistant', text(`Step ${index}: looking further.`), call(callId, 'search', { step: index }));
      chat(tracer, time, context, start, start + step * 0.4, [system, task, ...recent], [output]);
      recent.push(output);
      if (!last) {
        const result = `result ${index}`;
        tool(tracer, time, context, start + step * 0.5, start + step * 0.9, 'search', callId, { step: index }, result);
        recent.push(message('tool', response(callId, result)));
      }
      while (recent.length > keptHistory) recent.shift();
    }
    agent.end(time.at(2 + calls * step));
  });
}

/** Spans in requests of at most `size`, as a BatchSpanProcessor would send them. */
export function inBatches(spans: ReadableSpan[], size = 512): ReadableSpan[][] {
  const batches: ReadableSpan[][] = [];
  for (let index = 0; index < spans.length; index += size) batches.push(spans.slice(index, index + size));
  return batches;
}
