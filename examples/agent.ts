/**
 * A complete tool-using agent, instrumented: an OpenAI chat loop that calls tools until the model answers, with
 * `trajectory()` around the run, `tool()` around each tool and `reward()` for the outcome. The LLM calls
 * themselves are recorded by the auto-instrumentation. Run it alone against the local model server:
 *
 *   node bin/run-ts.mjs examples/agent.ts          # exports to OTEL_EXPORTER_OTLP_ENDPOINT (default :4318)
 */
import OpenAI from 'openai';
import { pathToFileURL } from 'node:url';
import { register, reward, tool, trajectory } from '../instrumentation/src/index.ts';
import { startModelServer } from './model-server.ts';

export interface AgentTask {
  id: string;
  question: string;
  expected: string;
}

export interface AgentRun {
  taskId: string;
  answer: string;
  reward: number;
  traceId: string;
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

/** One agent run on `task`: the tool loop, then a reward of 1 when the answer contains the expected text. */
export async function runAgent(
  openai: OpenAI,
  task: AgentTask,
  options: { model?: string; attempt?: number } = {},
): Promise<AgentRun> {
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
      const value = answer.includes(task.expected) ? 1 : 0;
      reward(value, { comment: value === 1 ? `answer contains ${task.expected}` : `expected ${task.expected}` });
      return { taskId: task.id, answer, reward: value, traceId: span.spanContext().traceId };
    },
    {
      agentName: 'example-agent',
      taskId: task.id,
      rolloutId: `rollout-${task.id}-${options.attempt ?? 0}`,
      attemptId: `attempt-${options.attempt ?? 0}`,
    },
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
