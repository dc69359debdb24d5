/**
 * `npm run demo`: starts the local model server, runs several instrumented agent runs (two attempts per task,
 * rewards included) against the receiver at OTEL_EXPORTER_OTLP_ENDPOINT (default http://127.0.0.1:4318), and
 * prints the trace ids with the commands to look at them. Start the receiver first: `npm start`.
 */
import OpenAI from 'openai';
import { register } from '../instrumentation/src/index.ts';
import { runAgent, type AgentTask } from './agent.ts';
import { startModelServer } from './model-server.ts';

const endpoint = (process.env['OTEL_EXPORTER_OTLP_ENDPOINT'] ?? 'http://127.0.0.1:4318').replace(/\/+$/, '');

try {
  const health = await fetch(`${endpoint}/healthz`);
  if (!health.ok) throw new Error(`GET /healthz returned ${health.status}`);
} catch (error) {
  console.error(`No receiver answering at ${endpoint} (${error instanceof Error ? error.message : String(error)}).`);
  console.error('Start one with `npm start` (or set OTEL_EXPORTER_OTLP_ENDPOINT), then run `npm run demo` again.');
  process.exit(1);
}

const tasks: AgentTask[] = [
  { id: 'capital-france', question: 'Use the capital tool: what is the capital of France?', expected: 'Paris' },
  { id: 'arithmetic', question: 'Use the calculator: what is 17 * 23?', expected: '391' },
  {
    id: 'capital-atlantis',
    question: 'Use the capital tool: what is the capital of Atlantis?',
    expected: 'Poseidonis',
  },
];

const server = await startModelServer();
const instrumentation = register({ serviceName: 'demo-agent', endpoint, modules: { openai: OpenAI } });
const openai = new OpenAI({ baseURL: server.openaiBaseUrl, apiKey: 'local' });
const runs = [];
for (const task of tasks) {
  for (const attempt of [0, 1]) runs.push(await runAgent(openai, task, { attempt }));
}
await instrumentation.shutdown();
await server.close();

console.log(`\n${runs.length} agent runs exported to ${endpoint}:\n`);
for (const run of runs)
  console.log(`  trace ${run.traceId}  task ${run.taskId.padEnd(17)} reward ${run.reward}  answer: ${run.answer}`);
const first = runs[0];
if (first) {
  console.log('\nLook at them:');
  console.log(`  curl -s ${endpoint}/v1/traces/${first.traceId}`);
  console.log(`  curl -s '${endpoint}/v1/trajectories?trace_id=${first.traceId}'`);
  console.log(`  curl -s '${endpoint}/v1/trajectories?agent=example-agent&limit=10'`);
}
