/**
 * `npm run demo`: starts the local model server, runs the demo's instrumented agent runs (every task with the
 * tools and without, rewards included, demo-runs.ts) against the receiver at OTEL_EXPORTER_OTLP_ENDPOINT
 * (default http://127.0.0.1:4318), and prints the trace ids with the commands to look at them and export them.
 * Start the receiver first: `npm start`. Every run of the demo adds new trajectories.
 */
import OpenAI from 'openai';
import { register } from '../instrumentation/src/index.ts';
import { runDemoAgents } from './demo-runs.ts';
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

const server = await startModelServer();
const instrumentation = register({ serviceName: 'demo-agent', endpoint, modules: { openai: OpenAI } });
const openai = new OpenAI({ baseURL: server.openaiBaseUrl, apiKey: 'local' });
const runs = await runDemoAgents(openai);
await instrumentation.shutdown();
await server.close();

console.log(`\n${runs.length} agent runs exported to ${endpoint}:\n`);
for (const run of runs)
  console.log(
    `  trace ${run.traceId}  task ${run.taskId.padEnd(17)} ${run.strategy.padEnd(15)} reward ${run.reward}  answer: ${run.answer}`,
  );
const first = runs[0];
if (first) {
  console.log('\nLook at them:');
  console.log(`  curl -s ${endpoint}/v1/traces/${first.traceId}`);
  console.log(`  curl -s '${endpoint}/v1/trajectories?trace_id=${first.traceId}'`);
  console.log(`  curl -s '${endpoint}/v1/trajectories?agent=example-agent&limit=10'`);
  console.log('\nExport them once they are complete (no span for --quiet-seconds, 60 s by default):');
  console.log(`  npx trajectories export --format trl-dpo --out dpo.jsonl --receiver ${endpoint}`);
  console.log(`  npx trajectories export --format trl-grpo --out grpo.parquet --receiver ${endpoint}`);
}
