/**
 * A complete tool-using agent, instrumented: an OpenAI chat loop that calls tools until the model answers, with
 * `trajectory()` around the run, `tool()` around each tool and `reward()` for the outcome. The LLM calls
 * themselves are recorded by the auto-instrumentation. Run it alone against the local model server:
 *
 *   node bin/run-ts.mjs examples/agent.ts          # exports to OTEL_EXPORTER_OTLP_ENDPOINT (default :4318)
 */
import { randomUUID } from 'node:crypto';
import OpenAI from 'openai';
import { pathToFileURL } from 'node:url';
import { register, reward, tool, trajectory } from '../instrumentation/src/index.ts';
import { startModelServer } from './model-server.ts';

export interface AgentTask {
  id: string;
  question: string;
  expected: string;
}

/** How a run goes about the task: call the tools, or answer without them (the demo's weaker policy). */
export type AgentStrategy = 'use-tools' | 'answer-directly';

export interface AgentRunOptions {
  model?: string;
  /** Identifies one invocation of the program, so its rollouts never merge with another's. @default random */
  runId?: string;
  /** Which of several rollouts of the same task in this invocation. @default 0 */
  sample?: number;
  /** @default 'use-tools' */
  strategy?: AgentStrategy;
}

export interface AgentRun {
  taskId: string;
  strategy: AgentStrategy;
  answer: string;
  reward: number;
  traceId: string;
  rolloutId: string;
}

/** 1 for the expected answer, 0.5 for admitting the tools do not know (better than a made-up answer), else 0. */
export function grade(task: AgentTask, answer: string): number {
  if (answer.includes(task.expected)) return 1;
  return /\bunknown\b/i.test(answer) ? 0.5 : 0;
}

const CAPITALS: Record<string, string> = { france: 'Paris', japan: 'Tokyo', kenya: 'Nairobi', peru: 'Lima' };

const calculator = tool(
  'calculator',
  ({ expression }: { expression: string }) => {
    if (!/^[\d\s+\-*/().]+$/.test(expression)) throw new RangeError(`not an arithmetic expression: ${expression}`);
    // eslint-disable-next-line @typescript-eslint/no-implied-eval -- the pattern above admits only digits and operators
    const evaluate = Function(`"use strict"; return (${expression});`) as () => unknown;
    return Number(evaluate());
  },
  { description: 'Evaluates an arithmetic expression' },
);

const capital = tool(
  'capital',
  ({ country }: { country: string }) => {
    const known = Object.keys(CAPITALS).find((name) => country.toLowerCase().includes(name));
    return known ? CAPITALS[known] : 'unknown';
  },
  { description: 'Capital city of a country' },
);

const toolDefinitions: OpenAI.ChatCompletionTool[] = [
  {
    type: 'function',
    function: {
      name: 'calculator',
      description: 'Evaluates an arithmetic expression',
      parameters: { type: 'object', properties: { expression: { type: 'string' } }, required: ['expression'] },
    },
  },
  {
    type: 'function',
    function: {
      name: 'capital',
      description: 'Capital city of a country',
      parameters: { type: 'object', properties: { country: { type: 'string' } }, required: ['country'] },
    },
  },
];

function runTool(call: OpenAI.ChatCompletionMessageToolCall): string {
  if (call.type !== 'function') return 'unsupported tool type';
  const args = JSON.parse(call.function.arguments) as Record<string, string>;
  try {
    if (call.function.name === 'calculator')
      return String(calculator({ expression: args['expression'] ?? '' }, { id: call.id }));
    if (call.function.name === 'capital') return String(capital({ country: args['country'] ?? '' }, { id: call.id }));
    return `unknown tool ${call.function.name}`;
  } catch (error) {
    return `error: ${error instanceof Error ? error.message : String(error)}`;
  }
}

/**
 * One agent run on `task`: the tool loop, then its reward (`grade`). Its Agent Lightning rollout id names the
 * invocation (`runId`), the task and the sample, so running the program again makes new trajectories.
 */
export async function runAgent(openai: OpenAI, task: AgentTask, options: AgentRunOptions = {}): Promise<AgentRun> {
  const strategy = options.strategy ?? 'use-tools';
  const rolloutId = `rollout-${options.runId ?? randomUUID()}-${task.id}-${options.sample ?? 0}`;
  return trajectory(
    task.question,
    async (span) => {
      const messages: OpenAI.ChatCompletionMessageParam[] = [
        {
          role: 'system',
          content: 'Answer the question. Use the calculator for arithmetic and the capital tool for capitals.',
        },
        { role: 'user', content: task.question },
      ];
      let answer = '';
      for (let step = 0; step < 5; step++) {
        const completion = await openai.chat.completions.create({
          model: options.model ?? 'local-agent-model',
          messages,
          tools: toolDefinitions,
          ...(strategy === 'answer-directly' ? { tool_choice: 'none' as const } : {}),
        });
        const message = completion.choices[0]?.message;
        if (!message) break;
        messages.push(message);
        if (!message.tool_calls || message.tool_calls.length === 0) {
          answer = message.content ?? '';
          break;
        }
        for (const call of message.tool_calls)
          messages.push({ role: 'tool', tool_call_id: call.id, content: runTool(call) });
      }
      const value = grade(task, answer);
      reward(value, {
        comment: value === 1 ? `answer contains ${task.expected}` : `expected ${task.expected}, got: ${answer}`,
      });
      return { taskId: task.id, strategy, answer, reward: value, traceId: span.spanContext().traceId, rolloutId };
    },
    { agentName: 'example-agent', taskId: task.id, rolloutId, attemptId: `${rolloutId}-attempt-0` },
  );
}

// Run directly: one agent run against a local model server.
if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const server = await startModelServer();
  // `modules`: this file imported openai before register() ran (with `node --import …/register` it is not needed).
  const instrumentation = register({ serviceName: 'example-agent', modules: { openai: OpenAI } });
  const openai = new OpenAI({ baseURL: server.openaiBaseUrl, apiKey: 'local' });
  const run = await runAgent(openai, {
    id: 'capital-france',
    question: 'Use the capital tool: what is the capital of France?',
    expected: 'Paris',
  });
  console.log(JSON.stringify(run));
  await instrumentation.shutdown();
  await server.close();
}
