/**
 * The demo data the dashboard's browser tests look at, produced with the real OpenTelemetry SDK: 54 small
 * agent runs (18 tasks, three attempts each, two agents; the attempts call different tools, one tool fails, one
 * run delegates to a sub-agent) with rewards, plus one long run of 2,000 spans. Each run records what a correct
 * page must show of it (its span count, a tool result), so the tests compare the page with what was sent.
 */
import type { ReadableSpan } from '@opentelemetry/sdk-trace-base';
import { recordSpans } from '../helpers/export-spans.ts';
import { recordLargeTrajectory } from '../helpers/large-trajectory.ts';
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

export interface DemoRun {
  traceId: string;
  /** The trajectory id the API gives the run: `<trace id>-<agent span id>`. */
  trajectoryId: string;
  agent: string;
  taskId: string;
  reward: number;
  spanCount: number;
  toolResult: string;
  toolName: string;
  subAgent: boolean;
}

const cities = ['Paris', 'Lima', 'Oslo', 'Cairo', 'Quito', 'Perth', 'Kyoto', 'Accra', 'Hanoi'];

export async function recordDemoRuns(baseMillis: number): Promise<{ spans: ReadableSpan[]; runs: DemoRun[] }> {
  const runs: DemoRun[] = [];
  const spans = await recordSpans((tracer) => {
    for (let index = 0; index < 54; index++) {
      const taskNumber = Math.floor(index / 3);
      const attempt = index % 3;
      const city = cities[taskNumber % cities.length] as string;
      const agentName = taskNumber % 3 === 0 ? 'researcher' : 'planner';
      const taskId = `weather-${taskNumber}`;
      const time = clock(baseMillis + index * 60_000);
      const root = agentSpan(tracer, time, 0, {
        'gen_ai.agent.name': agentName,
        'trajectory.task.id': taskId,
        'trajectory.task.description': `What is the weather in ${city} (task ${taskNumber})?`,
      });
      const context = inside(root);
      const system = message('system', text('You answer weather questions with the tools you have.'));
      const question = message('user', text(`What is the weather in ${city} (task ${taskNumber})?`));
      const toolName = attempt === 1 ? 'search' : 'lookup';
      const failed = attempt === 2;
      const toolResult = failed
        ? `lookup failed: ${city} is not a known station`
        : `${city}: sunny, ${15 + taskNumber} C`;
      const asked = message('assistant', text(''), call(`call_${index}`, toolName, { city }));
      chat(tracer, time, context, 0.1, 1.1, [system, question], [asked], { inputTokens: 120, outputTokens: 18 });
      tool(tracer, time, context, 1.2, 1.9, toolName, `call_${index}`, { city }, toolResult, { error: failed });
      // The agent, two model calls, the tool execution and the reward span.
      let spanCount = 5;
      const subAgent = index === 4;
      if (subAgent) {
        const helper = agentSpan(tracer, time, 2, { 'gen_ai.agent.name': 'summarizer' }, context);
        chat(
          tracer,
          time,
          inside(helper),
          2.1,
          2.6,
          [message('user', text(`Summarize: ${toolResult}`))],
          [message('assistant', text(`Summary: ${toolResult}`))],
        );
        helper.end(time.at(2.7));
        spanCount += 2;
      }
      const answer = failed ? `I could not find the weather in ${city}.` : `It is ${toolResult}.`;
      chat(
        tracer,
        time,
        context,
        3,
        4,
        [system, question, asked, message('tool', response(`call_${index}`, toolResult))],
        [message('assistant', text(answer))],
        { inputTokens: 180, outputTokens: 25 },
      );
      const reward = failed ? 0 : attempt === 1 ? 0.5 : 1;
      rewardSpan(tracer, time, context, 4.1, reward);
      root.end(time.at(4.2));
      const traceId = root.spanContext().traceId;
      runs.push({
        traceId,
        trajectoryId: `${traceId}-${root.spanContext().spanId}`,
        agent: agentName,
        taskId,
        reward,
        spanCount,
        toolResult,
        toolName,
        subAgent,
      });
    }
  });
  return { spans, runs };
}

/** One long agent loop: an agent span, 1,000 model calls and 999 tool executions, 2,000 spans. */
export async function recordLongRun(baseMillis: number): Promise<{ spans: ReadableSpan[]; trajectoryId: string }> {
  const spans = await recordLargeTrajectory(1000, baseMillis, 'long-task');
  const root = spans.find((span) => span.parentSpanContext === undefined);
  if (!root) throw new Error('the long run has no root span');
  return { spans, trajectoryId: `${root.spanContext().traceId}-${root.spanContext().spanId}` };
}
