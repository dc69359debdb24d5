/**
 * The proxy benchmark's load process: the upstream (bench/proxy-upstream.ts) and the callers
 * (bench/proxy-callers.ts) in a process of their own, so the receiver measured in the benchmark's process shares
 * its event loop and CPU account with neither, and direct and proxied calls are made by the very same client.
 * Driven over IPC by bench/proxy-latency.ts: it announces the upstream's URL, runs each `run` it is sent and
 * answers with the samples, and exits on `stop`.
 */
import { callerAgent, runCallers, type CallerRun, type CallerSamples } from './proxy-callers.ts';
import { startBenchUpstream, type UpstreamOptions } from './proxy-upstream.ts';

export type LoadRequest = { type: 'run'; id: number; run: Omit<CallerRun, 'completionBytes'> } | { type: 'stop' };

export type LoadMessage =
  | { type: 'ready'; upstreamUrl: string }
  | { type: 'samples'; id: number; samples: CallerSamples }
  | { type: 'failed'; id: number; message: string };

const upstreamOptions = JSON.parse(process.env['BENCH_PROXY_UPSTREAM_OPTIONS'] ?? '{}') as UpstreamOptions;

if (process.send) {
  const send = (message: LoadMessage) => process.send!(message);
  const upstream = await startBenchUpstream(upstreamOptions);
  const concurrency = Number(process.env['BENCH_PROXY_CONCURRENCY'] ?? 50);
  const agent = callerAgent(concurrency);
  process.on('message', (request: LoadRequest) => {
    if (request.type === 'stop') {
      agent.destroy();
      void upstream.close().then(() => process.exit(0));
      return;
    }
    runCallers(agent, { ...request.run, completionBytes: upstream.completionBytes }).then(
      (samples) => send({ type: 'samples', id: request.id, samples }),
      (error: unknown) => send({ type: 'failed', id: request.id, message: (error as Error).message }),
    );
  });
  send({ type: 'ready', upstreamUrl: upstream.baseUrl });
}
