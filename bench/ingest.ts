/**
 * End-to-end ingest benchmark: OTLP/HTTP protobuf requests of realistic GenAI spans into a receiver running in
 * its own process (with the default fsync'd write-ahead log), timed until every span is in ClickHouse; beside it,
 * the raw insert rate of the very same rows into the same embedded ClickHouse, measured in this run. Also ack
 * latency percentiles, the receiver's peak RSS, and its behaviour (429s, RSS) under an offered load far above
 * its capacity.
 */
import { readFileSync } from 'node:fs';
import { Agent } from 'node:http';
import { openMigratedStore } from '../src/store/migrate.ts';
import { temporaryDirectory } from '../test/helpers/test-receiver.ts';
import { encodedAgentRequests, type SpanContent } from './genai-spans.ts';
import {
  post,
  postAll,
  postUntilAccepted,
  startReceiverProcess,
  stopReceiverProcess,
  waitUntilStored,
} from './receiver-process.ts';
import { rawInsertRate } from './receiver-rows.ts';
import { percentile, type BenchResult } from './report.ts';
import { measureStoreFloor } from './store-floor.ts';
import { listed, patched, templateOf } from './summary-lag.ts';

interface Options {
  content: SpanContent;
  requests: number;
  tracesPerRequest: number;
  concurrency: number;
  overloadSeconds: number;
  /** Seconds of open-loop load at half the measured maximum, for ack latency at a fixed offered load. */
  pacedSeconds: number;
}

function peakRssMegabytes(pid: number): number {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  return Number(/VmHWM:\s+(\d+)/.exec(status)?.[1] ?? NaN) / 1024;
}

function currentRssMegabytes(pid: number): number {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  return Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? NaN) / 1024;
}

/**
 * Open-loop load: request `index` is sent at `index / requestsPerSecond` seconds whatever the earlier ones did,
 * and its latency runs from that scheduled time to its acknowledgement (retries included), so a receiver that
 * stalls shows in the latency instead of slowing the sender down.
 */
async function pacedLatencies(
  url: string,
  bodies: Uint8Array[],
  requestsPerSecond: number,
  seconds: number,
): Promise<{ latencies: number[]; refusals: number }> {
  const endpoint = new URL(`${url}/v1/traces`);
  const agent = new Agent({ keepAlive: true, maxSockets: 256 });
  const count = Math.max(1, Math.round(requestsPerSecond * seconds));
  const started = performance.now() + 100;
  const latencies: number[] = [];
  let refusals = 0;
  await Promise.all(
    Array.from({ length: count }, async (_, index) => {
      const scheduled = started + (index * 1000) / requestsPerSecond;
      await new Promise((resolve) => setTimeout(resolve, Math.max(0, scheduled - performance.now())));
      refusals += (await postUntilAccepted(agent, endpoint, bodies[index % bodies.length]!)).refusals;
      latencies.push(performance.now() - scheduled);
    }),
  );
  agent.destroy();
  return { latencies, refusals };
}

/**
 * `count` bodies for an open-loop phase: copies of the bodies with fresh trace ids (phase `phase`, 1 or 2, patched
 * in; every pass over the bodies patches another number), so the phase's traces are new to the summarizer, and
 * the last one's last trace, which is listed once the summarizer (working in mark order) has done the whole phase.
 */
function freshBodies(bodies: Uint8Array[], count: number, phase: number): { bodies: Buffer[]; lastTrace: string } {
  const templates = bodies.map(templateOf);
  const copies = Array.from({ length: count }, (_, index) =>
    patched(templates[index % templates.length]!, phase + 2 * Math.floor(index / templates.length)),
  );
  return { bodies: copies.map((copy) => copy.body), lastTrace: copies.at(-1)!.lastTrace };
}

async function waitUntilListed(url: string, traceId: string, timeoutMillis: number): Promise<number> {
  const started = performance.now();
  while (!(await listed(url, traceId)) && performance.now() - started < timeoutMillis)
    await new Promise((resolve) => setTimeout(resolve, 200));
  return performance.now() - started;
}

export async function benchIngest(options: Partial<Options> = {}): Promise<BenchResult[]> {
  const { content, requests, tracesPerRequest, concurrency, overloadSeconds, pacedSeconds } = {
    content: (process.env['BENCH_INGEST_CONTENT'] ?? 'full') as SpanContent,
    requests: 400,
    tracesPerRequest: 50,
    concurrency: 8,
    overloadSeconds: 6,
    pacedSeconds: 10,
    ...options,
  };
  process.stderr.write(
    `ingest: generating ${requests} requests of ${tracesPerRequest * 6} GenAI spans (${content} content) with the OTel SDK...\n`,
  );
  const { bodies, spans } = await encodedAgentRequests(requests, tracesPerRequest, content);
  const megabytes = bodies.reduce((sum, body) => sum + body.byteLength, 0) / 1024 / 1024;

  process.stderr.write(`ingest: raw ClickHouse insert of the same ${spans} rows...\n`);
  const store = await openMigratedStore({ dataDir: temporaryDirectory('bench-raw-') });
  const { spansPerSecond: raw, batches } = await rawInsertRate(store, bodies, spans);
  process.stderr.write(`ingest: the store's floor (each span's protobuf in one String column)...\n`);
  const floor = await measureStoreFloor(store, bodies, batches);
  await store.close();

  process.stderr.write(
    `ingest: ${spans} spans (${megabytes.toFixed(0)} MB protobuf) through OTLP/HTTP into a receiver process...\n`,
  );
  const { child, url } = await startReceiverProcess(temporaryDirectory('bench-ingest-'));
  const endpoint = new URL(`${url}/v1/traces`);
  const started = performance.now();
  const { latencies, refusals } = await postAll(url, bodies, concurrency);
  const acknowledgedAt = performance.now();
  await waitUntilStored(url);
  const stored = performance.now();
  const ingestRate = spans / ((stored - started) / 1000);
  const ackRate = spans / ((acknowledgedAt - started) / 1000);
  const rssAfterLoad = peakRssMegabytes(child.pid!);

  const pacedRequestsPerSecond = (ingestRate * 0.5) / (spans / bodies.length);
  const pacedCount = Math.max(1, Math.round(pacedRequestsPerSecond * pacedSeconds));
  // Right after the burst the summarizer is still working off its backlog; the steady phase starts once every
  // earlier trace is summarized, so only its own traces are summarized while it runs.
  const afterBurst = freshBodies(bodies, pacedCount, 1);
  const steadyBodies = freshBodies(bodies, pacedCount, 2);
  process.stderr.write(
    `ingest: ${pacedSeconds}s at a fixed ${Math.round(ingestRate * 0.5)} spans/s (50% of the maximum), open loop, right after the burst...\n`,
  );
  const paced = await pacedLatencies(url, afterBurst.bodies, pacedRequestsPerSecond, pacedSeconds);
  await waitUntilStored(url);
  const summarizedAfter = await waitUntilListed(url, afterBurst.lastTrace, 600_000);
  process.stderr.write(
    `ingest: summaries current ${(summarizedAfter / 1000).toFixed(1)}s later; ${pacedSeconds}s more at 50%, steady state...\n`,
  );
  const steady = await pacedLatencies(url, steadyBodies.bodies, pacedRequestsPerSecond, pacedSeconds);
  await waitUntilStored(url);
  const steadySummarized = await waitUntilListed(url, steadyBodies.lastTrace, 600_000);

  process.stderr.write(
    `ingest: overload for ${overloadSeconds}s with ${concurrency * 8} concurrent senders and no pacing...\n`,
  );
  const overloadAgent = new Agent({ keepAlive: true, maxSockets: concurrency * 8 });
  let offered = 0;
  let accepted = 0;
  let overloadRefusals = 0;
  const overloadEnd = performance.now() + overloadSeconds * 1000;
  await Promise.all(
    Array.from({ length: concurrency * 8 }, async (_, sender) => {
      let index = sender;
      while (performance.now() < overloadEnd) {
        const status = await post(overloadAgent, endpoint, bodies[index++ % bodies.length]!);
        offered++;
        if (status === 200) accepted++;
        else overloadRefusals++;
      }
    }),
  );
  const rssUnderOverload = peakRssMegabytes(child.pid!);
  const rssNow = currentRssMegabytes(child.pid!);
  await stopReceiverProcess(child);
  overloadAgent.destroy();
  const offeredSpanRate = (offered * spans) / bodies.length / overloadSeconds;

  return [
    {
      name: `ingest end-to-end (OTLP/HTTP protobuf -> stored), ${content} spans`,
      value: Math.round(ingestRate),
      unit: 'spans/s',
      baseline: Math.round(raw),
      ratio: ingestRate / raw,
      note: `baseline: raw INSERT of the same rows; ${Math.round((megabytes * 1024 * 1024) / spans)} B protobuf/span`,
    },
    { name: 'ingest acknowledged (durable in WAL)', value: Math.round(ackRate), unit: 'spans/s' },
    { name: 'raw ClickHouse insert, same rows', value: Math.round(raw), unit: 'spans/s' },
    {
      name: "store's floor (span protobufs, 1 String column)",
      value: Math.round(floor.spansPerSecond),
      unit: 'spans/s',
      baseline: Math.round(ingestRate),
      ratio: ingestRate / floor.spansPerSecond,
      note: `${floor.megabytesPerSecond.toFixed(0)} MB/s of protobuf; ratio = receiver / floor`,
    },
    {
      name: 'ack latency p50 at 50% of max load',
      value: percentile(paced.latencies, 0.5),
      unit: 'ms',
      note: `${Math.round(ingestRate * 0.5)} spans/s offered open-loop for ${pacedSeconds}s; ${paced.refusals} retries`,
    },
    {
      name: 'ack latency p99 at 50% of max load',
      value: percentile(paced.latencies, 0.99),
      unit: 'ms',
      note: `right after the burst: the summarizer works off its backlog meanwhile (current ${(summarizedAfter / 1000).toFixed(1)}s after)`,
    },
    {
      name: 'ack latency p50 at 50% of max load, steady',
      value: percentile(steady.latencies, 0.5),
      unit: 'ms',
      note: `summaries current when it starts; ${steady.refusals} retries`,
    },
    {
      name: 'ack latency p99 at 50% of max load, steady',
      value: percentile(steady.latencies, 0.99),
      unit: 'ms',
      note: `summaries current ${(steadySummarized / 1000).toFixed(1)}s after its last ack`,
    },
    {
      name: 'ack latency p50 at max load',
      value: percentile(latencies, 0.5),
      unit: 'ms',
      note: `${tracesPerRequest * 6} spans/request, ${concurrency} concurrent`,
    },
    { name: 'ack latency p99 at max load', value: percentile(latencies, 0.99), unit: 'ms' },
    { name: 'receiver peak RSS after load', value: Math.round(rssAfterLoad), unit: 'MB', note: `${refusals} retries` },
    {
      name: 'overload: offered load',
      value: Math.round(offeredSpanRate),
      unit: 'spans/s',
      baseline: Math.round(ingestRate),
      ratio: offeredSpanRate / ingestRate,
      note: 'ratio = offered / capacity',
    },
    {
      name: 'overload: refused with 429/503',
      value: overloadRefusals,
      unit: 'requests',
      note: `${accepted} accepted of ${offered}`,
    },
    {
      name: 'overload: receiver peak RSS',
      value: Math.round(rssUnderOverload),
      unit: 'MB',
      baseline: Math.round(rssAfterLoad),
      ratio: rssUnderOverload / rssAfterLoad,
      note: `RSS at end ${Math.round(rssNow)} MB`,
    },
  ];
}
