/**
 * Summary lag benchmark: a receiver process is fed OTLP/HTTP protobuf requests of GenAI agent traces
 * (bench/genai-spans.ts) at its maximum rate for a fixed time, then this measures how long after the last
 * acknowledgement `GET /v1/trajectories` lists every trajectory sent, and the summarizer's throughput during and
 * after ingest, beside the same run's ingest rate (traces acknowledged per second).
 *
 * Progress is read through the API only: the summarizer works in mark order, so "summarized up to request i" is
 * found by a binary search over the acknowledged requests, probing `?trace_id=` for each one's first and last trace.
 * At the end every page of the list is read to check that no trajectory is missing.
 *
 * Unique traces without generating gigabytes of protobuf: a few hundred request bodies are generated once with the
 * OTel SDK, and each send patches the 16 trace id bytes in place (offsets found once per template) with a fresh id.
 *
 * Standalone: `node bin/run-ts.mjs bench/summary-lag.ts` (BENCH_SUMMARY_SECONDS, default 60).
 */
import { Agent } from 'node:http';
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { decodeTracesProtobuf } from '../collector/otlp/index.ts';
import { openMigratedStore } from '../src/store/migrate.ts';
import { assembleTrajectories } from '../src/trajectories/assemble-trajectory.ts';
import type { AssemblyInput } from '../src/trajectories/assembly-input.ts';
import { readAssemblyInput } from '../src/trajectories/read-assembly-input.ts';
import { readSummaryInput } from '../src/trajectories/read-summary-input.ts';
import { toSummaryRow } from '../src/trajectories/summarize-traces.ts';
import { temporaryDirectory } from '../test/helpers/test-receiver.ts';
import { encodedAgentRequests } from './genai-spans.ts';
import { post, startReceiverProcess, stopReceiverProcess } from './receiver-process.ts';
import { formatResults, percentile, type BenchResult } from './report.ts';

export interface Template {
  body: Buffer;
  /** Byte offsets of every trace id (the 16 bytes after a `0a 10` tag that hold a known id). */
  offsets: number[];
  /** Each distinct trace id's first offset, in order of first appearance. */
  firstOffsets: number[];
  traces: number;
}

export function templateOf(body: Uint8Array): Template {
  const buffer = Buffer.from(body);
  const ids = new Set(
    decodeTracesProtobuf(body, { maxAttributeBytes: 4 * 1024 * 1024 }).spans.map((span) => span.traceId),
  );
  const offsets: number[] = [];
  const firstOffsets: number[] = [];
  const seen = new Set<string>();
  for (
    let index = buffer.indexOf(0x0a);
    index >= 0 && index + 18 <= buffer.length;
    index = buffer.indexOf(0x0a, index + 1)
  ) {
    if (buffer[index + 1] !== 0x10) continue;
    const id = buffer.toString('hex', index + 2, index + 18);
    if (!ids.has(id)) continue;
    offsets.push(index + 2);
    if (!seen.has(id)) {
      seen.add(id);
      firstOffsets.push(index + 2);
    }
  }
  if (seen.size !== ids.size) throw new Error(`found ${seen.size} of ${ids.size} trace ids in a template body`);
  return { body: buffer, offsets, firstOffsets, traces: ids.size };
}

/** Copy `cycle` of a template: every trace id's last four bytes XORed with the cycle number. */
export function patched(template: Template, cycle: number): { body: Buffer; firstTrace: string; lastTrace: string } {
  const body = Buffer.from(template.body);
  for (const offset of template.offsets)
    body.writeUInt32BE((body.readUInt32BE(offset + 12) ^ cycle) >>> 0, offset + 12);
  const idAt = (offset: number) => body.toString('hex', offset, offset + 16);
  return {
    body,
    firstTrace: idAt(template.firstOffsets[0]!),
    lastTrace: idAt(template.firstOffsets[template.firstOffsets.length - 1]!),
  };
}

export async function listed(url: string, traceId: string): Promise<boolean> {
  const response = await fetch(`${url}/v1/trajectories?trace_id=${traceId}&limit=1`);
  if (!response.ok) throw new Error(`list answered ${response.status}`);
  return ((await response.json()) as { trajectories: unknown[] }).trajectories.length > 0;
}

interface Sent {
  firstTrace: string;
  lastTrace: string;
  traces: number;
}

/** Requests (in acknowledgement order) whose traces are all listed: the summarizer works through marks in order. */
async function summarizedRequests(url: string, acked: readonly Sent[], known: number): Promise<number> {
  const done = async (index: number) => {
    const sent = acked[index]!;
    return (await listed(url, sent.firstTrace)) && (await listed(url, sent.lastTrace));
  };
  let low = known; // acked[0..low) are known summarized
  let high = acked.length;
  while (low < high) {
    const middle = (low + high) >> 1;
    if (await done(middle)) low = middle + 1;
    else high = middle;
  }
  return low;
}

async function countListed(url: string): Promise<number> {
  let count = 0;
  let cursor: string | null = null;
  do {
    const page = (await (
      await fetch(`${url}/v1/trajectories?limit=1000${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`)
    ).json()) as { trajectories: unknown[]; next_cursor: string | null };
    count += page.trajectories.length;
    cursor = page.next_cursor;
  } while (cursor);
  return count;
}

/**
 * One summarizer batch read and assembled both ways on the stored traces, alternating, `runs` times each: the lean
 * read the summarizer uses (read-summary-input.ts) against the full read of assembly (read-assembly-input.ts).
 * Throws unless both give the same summary rows.
 */
async function leanAgainstFullRead(
  dataDir: string,
  batchTraces: number,
  runs: number,
): Promise<{ leanMillis: number; fullMillis: number; traces: number }> {
  const store = await openMigratedStore({ dataDir });
  try {
    const { client } = store;
    const traceIds = (
      await (
        await client.query({
          query: 'SELECT DISTINCT trace_id FROM spans WHERE tenant = {tenant:String} LIMIT {limit:UInt32}',
          query_params: { tenant: 'default', limit: batchTraces },
          format: 'JSONEachRow',
        })
      ).json<{ trace_id: string }>()
    ).map((row) => row.trace_id);
    const summarize = async (read: typeof readSummaryInput) => {
      const started = performance.now();
      const input: AssemblyInput = await read(client, 'default', traceIds, new Map());
      const rows = assembleTrajectories(input, { nowMillis: 0, quietSeconds: 0 }).map((trajectory) =>
        JSON.stringify(toSummaryRow('default', trajectory, 0n)),
      );
      return { millis: performance.now() - started, rows: rows.join('\n') };
    };
    const lean: number[] = [];
    const full: number[] = [];
    for (let run = 0; run < runs; run++) {
      const leanRun = await summarize(readSummaryInput);
      const fullRun = await summarize(readAssemblyInput);
      if (leanRun.rows !== fullRun.rows) throw new Error('the lean read gave other summary rows than the full read');
      lean.push(leanRun.millis);
      full.push(fullRun.millis);
    }
    return { leanMillis: percentile(lean, 0.5), fullMillis: percentile(full, 0.5), traces: traceIds.length };
  } finally {
    await store.close();
  }
}

const sleep = (millis: number) => new Promise((resolve) => setTimeout(resolve, millis));

export async function benchSummaryLag(
  options: { seconds?: number; templates?: number; tracesPerRequest?: number; concurrency?: number } = {},
): Promise<BenchResult[]> {
  const seconds = options.seconds ?? Number(process.env['BENCH_SUMMARY_SECONDS'] ?? 60);
  const tracesPerRequest = options.tracesPerRequest ?? 50;
  const concurrency = options.concurrency ?? 8;
  process.stderr.write(
    `summary-lag: generating request templates of ${tracesPerRequest} traces with the OTel SDK...\n`,
  );
  const { bodies } = await encodedAgentRequests(options.templates ?? 100, tracesPerRequest, 'full');
  const templates = bodies.map(templateOf);
  const spansPerTrace = templates[0]!.offsets.length / templates[0]!.traces;

  const dataDir = temporaryDirectory('bench-summary-lag-');
  const { child, url } = await startReceiverProcess(dataDir);
  const endpoint = new URL(`${url}/v1/traces`);
  const agent = new Agent({ keepAlive: true, maxSockets: concurrency });
  const acked: Sent[] = [];
  let next = 0;
  let refusals = 0;
  const started = performance.now();
  const ingestEnd = started + seconds * 1000;

  const samples: { at: number; ackedTraces: number; summarizedTraces: number }[] = [];
  let knownSummarized = 0;
  const tracesOf = (requests: number) => requests * tracesPerRequest;
  let sampling = true;
  const sampler = (async () => {
    while (sampling) {
      await sleep(2000);
      const ackedNow = acked.length;
      knownSummarized = await summarizedRequests(url, acked.slice(0, ackedNow), knownSummarized);
      samples.push({
        at: performance.now(),
        ackedTraces: tracesOf(ackedNow),
        summarizedTraces: tracesOf(knownSummarized),
      });
    }
  })();

  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (performance.now() < ingestEnd) {
        const index = next++;
        const template = templates[index % templates.length]!;
        const copy = patched(template, Math.floor(index / templates.length) + 1);
        for (;;) {
          const status = await post(agent, endpoint, copy.body);
          if (status === 200) break;
          if (status !== 429 && status !== 503) throw new Error(`unexpected status ${status}`);
          refusals++;
          await sleep(50);
        }
        acked.push({ firstTrace: copy.firstTrace, lastTrace: copy.lastTrace, traces: template.traces });
      }
    }),
  );
  const lastAck = performance.now();
  const ackedTraces = tracesOf(acked.length);
  const ingestTracesPerSecond = ackedTraces / ((lastAck - started) / 1000);
  const summarizedAtLastAck = samples.at(-1)?.summarizedTraces ?? 0;
  sampling = false;
  await sampler;

  // Lag: poll (cheaply) until every acknowledged request's traces are listed.
  let caughtUp = knownSummarized;
  const backlogAtLastAck = tracesOf(acked.length - knownSummarized);
  const afterStart = performance.now();
  const afterStartSummarized = tracesOf(knownSummarized);
  const lagLimitMillis = Number(process.env['BENCH_SUMMARY_MAX_LAG_SECONDS'] ?? 900) * 1000;
  while (caughtUp < acked.length && performance.now() - lastAck < lagLimitMillis) {
    await sleep(250);
    caughtUp = await summarizedRequests(url, acked, caughtUp);
  }
  const caughtUpAt = performance.now();
  const lagSeconds = (caughtUpAt - lastAck) / 1000;
  const catchUpRate = (tracesOf(caughtUp) - afterStartSummarized) / Math.max(0.001, (caughtUpAt - afterStart) / 1000);
  // Completeness: every trajectory, not only the probed first and last of each request.
  let total = await countListed(url);
  const countedAt = performance.now();
  while (total < ackedTraces && performance.now() - lastAck < lagLimitMillis) {
    await sleep(500);
    total = await countListed(url);
  }
  agent.destroy();
  await stopReceiverProcess(child);
  const readRuns = 3;
  process.stderr.write(`summary-lag: one batch read lean and full, ${readRuns} runs each...\n`);
  const reads = await leanAgainstFullRead(dataDir, 5000, readRuns);

  const during = samples.filter((sample) => sample.at <= lastAck);
  const duringRate =
    during.length >= 2
      ? (during.at(-1)!.summarizedTraces - during[0]!.summarizedTraces) / ((during.at(-1)!.at - during[0]!.at) / 1000)
      : 0;
  for (const sample of samples)
    process.stderr.write(
      `  t=${((sample.at - started) / 1000).toFixed(0)}s acked ${sample.ackedTraces} summarized ${sample.summarizedTraces}\n`,
    );
  return [
    {
      name: 'ingest during the summary run',
      value: Math.round(ingestTracesPerSecond),
      unit: 'traces/s',
      note: `${seconds}s at maximum rate, ${Math.round(ingestTracesPerSecond * spansPerTrace)} spans/s acknowledged, ${refusals} retries`,
    },
    {
      name: 'summarizer throughput during ingest',
      value: Math.round(duringRate),
      unit: 'traces/s',
      baseline: Math.round(ingestTracesPerSecond),
      ratio: duringRate / ingestTracesPerSecond,
      note: 'baseline: ingest traces/s in this run',
    },
    {
      name: 'summary backlog at the last ack',
      value: backlogAtLastAck,
      unit: 'traces',
      note: `${summarizedAtLastAck} of ${ackedTraces} listed at the last sample before it`,
    },
    {
      name: 'summary lag after the last ack',
      value: Number(lagSeconds.toFixed(2)),
      unit: 's',
      note: caughtUp < acked.length ? 'did not catch up within the limit' : 'until every acked request is listed',
    },
    {
      name: 'summarizer catch-up throughput',
      value: Math.round(catchUpRate),
      unit: 'traces/s',
      baseline: Math.round(ingestTracesPerSecond),
      ratio: catchUpRate / ingestTracesPerSecond,
    },
    {
      name: 'summarizer batch, lean read + assembly',
      value: Math.round(reads.leanMillis),
      unit: 'ms',
      baseline: Math.round(reads.fullMillis),
      ratio: reads.leanMillis / reads.fullMillis,
      note: `${reads.traces} stored traces; baseline: the full read of assembly, same rows; medians of ${readRuns}`,
    },
    {
      name: 'trajectories listed at the end',
      value: total,
      unit: 'trajectories',
      baseline: ackedTraces,
      ratio: total / ackedTraces,
      note: `full listing took ${((countedAt - caughtUpAt) / 1000).toFixed(1)}s`,
    },
  ];
}

if (process.argv[1] && import.meta.url === pathToFileURL(resolve(process.argv[1])).href) {
  const results = await benchSummaryLag();
  process.stdout.write(formatResults('summary-lag', results) + '\n');
}
