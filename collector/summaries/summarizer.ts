/**
 * Keeps `trajectory_summaries` current in the background. Materialized views mark a trace dirty in
 * `dirty_traces` whenever its spans, evaluation events or feedback are inserted; this loop polls the marks after
 * its watermark, stitches agent-less traces into their conversations (src/trajectories/stitch-conversations.ts),
 * recomputes the summaries of those traces (src/trajectories/summarize-traces.ts) and advances
 * the watermark, persisted in `summarizer_state` so a restart resumes where it stopped.
 *
 * Marks carry the insert's server time, and an insert can become visible after a later one was already read,
 * so every poll also re-reads an overlap window before the watermark and recomputes the traces whose mark it
 * has not processed yet (recomputation is idempotent; an in-memory set of processed marks keeps the overlap from
 * redoing work). Batches are capped, polls never overlap, errors are logged and retried on the next tick, and
 * nothing here sits on the ingest path: spans are acknowledged and stored without waiting for it.
 */
import type { ClickHouseClient } from '@clickhouse/client';
import { readAirRules, queryRows } from '../../src/trajectories/read-assembly-input.ts';
import { defaultStitchWindowSeconds } from '../../src/trajectories/settings.ts';
import { stitchTraces } from '../../src/trajectories/stitch-conversations.ts';
import { summarizeTraces } from '../../src/trajectories/summarize-traces.ts';

export interface SummarizerOptions {
  /** Pause between polls when there was nothing (more) to do. @default 1000 */
  intervalMillis?: number;
  /** Traces recomputed per poll. @default 200 */
  batchTraces?: number;
  /** How far before the watermark each poll looks for late-visible marks. @default 10000 */
  overlapMillis?: number;
  /** Name of this summarizer's watermark row. @default 'default' */
  name?: string;
  /**
   * While this returns true (ingest has a backlog) polls are put off, so storing acknowledged spans gets the
   * CPU first; summaries catch up once ingest does, or after `maxDeferMillis` at the latest.
   */
  deferWhile?: () => boolean;
  /** Longest a poll is put off by `deferWhile`. @default 10000 */
  maxDeferMillis?: number;
  log?: (message: string) => void;
  /** Agent-less calls this far apart are stitched into one conversation (stitch-conversations.ts). @default 300 */
  stitchWindowSeconds?: number;
  /** A conversation quiet this long may be complete already and is not extended. @default stitchWindowSeconds */
  openQuietSeconds?: number;
}

export interface Summarizer {
  start(): void;
  /** Resolves once every trace marked dirty before the call is summarized (tests wait on it). */
  flush(timeoutMillis?: number): Promise<void>;
  /** One poll; the number of traces it recomputed. */
  pollOnce(): Promise<number>;
  stop(): Promise<void>;
  readonly watermarkMillis: number;
}

interface DirtyTrace {
  tenant: string;
  trace_id: string;
  ingested_ms: number | string;
}

/** DateTime64(3) ends in 2299; marks are never later than this bound. */
const farFutureMillis = 10_000_000_000_000;
/** Marks re-read from the overlap window per poll; far above what a few seconds of ingest mark. */
const maxOverlapTraces = 100_000;

export function createSummarizer(client: ClickHouseClient, options: SummarizerOptions = {}): Summarizer {
  const intervalMillis = options.intervalMillis ?? 1000;
  const batchTraces = Math.max(1, options.batchTraces ?? 200);
  const overlapMillis = options.overlapMillis ?? 10_000;
  const name = options.name ?? 'default';
  const log = options.log ?? (() => {});
  const deferWhile = options.deferWhile ?? (() => false);
  const maxDeferMillis = options.maxDeferMillis ?? 10_000;
  const stitchWindowSeconds = options.stitchWindowSeconds ?? defaultStitchWindowSeconds;
  const openQuietSeconds = options.openQuietSeconds ?? stitchWindowSeconds;
  let deferredSince: number | undefined;

  let watermark: number | undefined;
  /** tenant/trace -> the latest mark already summarized, for marks inside the overlap window. */
  const processed = new Map<string, number>();
  let chain: Promise<unknown> = Promise.resolve();
  let timer: NodeJS.Timeout | undefined;
  let stopped = false;
  let lastError = '';

  const keyOf = (row: DirtyTrace) => `${row.tenant}\u0000${row.trace_id}`;

  async function loadWatermark(): Promise<number> {
    const [row] = await queryRows<{ watermark_ms: number | string }>(client, 'queries/summarizer-watermark.sql', {
      name,
    });
    return Number(row?.watermark_ms ?? 0);
  }

  async function dirtySince(sinceMillis: number, untilMillis: number, limit: number): Promise<DirtyTrace[]> {
    return queryRows<DirtyTrace>(client, 'queries/dirty-traces-since.sql', {
      since_ms: Math.max(0, sinceMillis),
      until_ms: untilMillis,
      limit,
    });
  }

  async function poll(): Promise<number> {
    const from = watermark ?? (watermark = await loadWatermark());
    const unprocessed = (row: DirtyTrace) => (processed.get(keyOf(row)) ?? -1) < Number(row.ingested_ms);
    const late = (await dirtySince(from - overlapMillis, from, maxOverlapTraces))
      .filter(unprocessed)
      .slice(0, batchTraces);
    const fresh = late.length < batchTraces ? await dirtySince(from, farFutureMillis, batchTraces - late.length) : [];
    const work = [...late, ...fresh];
    if (work.length === 0) return 0;

    const byTenant = new Map<string, string[]>();
    for (const row of work) byTenant.set(row.tenant, [...(byTenant.get(row.tenant) ?? []), row.trace_id]);
    const airRules = await readAirRules(client);
    for (const [tenant, traceIds] of byTenant) {
      // Agent-less traces join their conversation first, so the summaries carry the stitched trajectory ids.
      const { changedTrajectories } = await stitchTraces(client, tenant, traceIds, {
        stitchWindowSeconds,
        openQuietSeconds,
      });
      // A stitched trajectory is named after its first trace, so the changed ones (a side call sent off on its
      // own, a merge) are summarized by that trace too, even when it was not in this batch.
      await summarizeTraces(client, tenant, [...new Set([...traceIds, ...changedTrajectories])], { airRules });
    }

    for (const row of work)
      processed.set(keyOf(row), Math.max(processed.get(keyOf(row)) ?? -1, Number(row.ingested_ms)));
    const last = fresh[fresh.length - 1];
    if (last && Number(last.ingested_ms) > from) {
      watermark = Number(last.ingested_ms);
      await client.insert({
        table: 'summarizer_state',
        values: [{ name, watermark_ms: watermark }],
        format: 'JSONEachRow',
      });
    }
    for (const [key, mark] of processed) if (mark < watermark - overlapMillis) processed.delete(key);
    return work.length;
  }

  /** Polls run one at a time: the loop and flush() share this queue. */
  function exclusive<T>(run: () => Promise<T>): Promise<T> {
    const result = chain.then(run);
    chain = result.catch(() => undefined);
    return result;
  }

  function schedule(delayMillis: number): void {
    if (stopped) return;
    timer = setTimeout(() => {
      timer = undefined;
      if (deferWhile() && Date.now() - (deferredSince ??= Date.now()) < maxDeferMillis) {
        schedule(Math.min(intervalMillis, 200));
        return;
      }
      deferredSince = undefined;
      exclusive(poll).then(
        (count) => {
          lastError = '';
          // A full batch means more is waiting: continue at once (still yielding to the event loop).
          schedule(count >= batchTraces ? 0 : intervalMillis);
        },
        (error: unknown) => {
          const message = (error as Error).message;
          if (message !== lastError) log(`summarizer poll failed (will retry): ${message}`);
          lastError = message;
          schedule(intervalMillis);
        },
      );
    }, delayMillis);
    timer.unref();
  }

  return {
    start() {
      stopped = false;
      if (!timer) schedule(0);
    },
    async flush(timeoutMillis = 30_000) {
      const deadline = Date.now() + timeoutMillis;
      for (;;) {
        let count: number;
        try {
          count = await exclusive(poll);
        } catch (error) {
          if (Date.now() > deadline) throw error;
          await new Promise((resolve) => setTimeout(resolve, 50));
          continue;
        }
        if (count === 0) return;
        if (Date.now() > deadline) throw new Error('summarizer flush timed out: traces are still being summarized');
      }
    },
    pollOnce: () => exclusive(poll),
    async stop() {
      stopped = true;
      if (timer) clearTimeout(timer);
      timer = undefined;
      await chain;
    },
    get watermarkMillis() {
      return watermark ?? 0;
    },
  };
}
