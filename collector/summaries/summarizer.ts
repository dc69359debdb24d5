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
 * redoing work); while a backlog is worked off that re-read runs once a second, not per batch. Batches are large
 * (a point read by trace id costs whole granules, so a batch costs little more than a small one), polls never
 * overlap, errors are logged and retried on the next tick, and nothing here sits on the ingest path: spans are
 * acknowledged and stored without waiting for it. Under an ingest backlog the summarizer is not put off (the list
 * would be minutes stale) but spaced to a bounded share of the wall time.
 */
import type { ClickHouseClient } from '@clickhouse/client';
import { readAirRules, queryRows } from '../../src/trajectories/read-assembly-input.ts';
import { defaultStitchWindowSeconds } from '../../src/trajectories/settings.ts';
import { stitchTraces } from '../../src/trajectories/stitch-conversations.ts';
import {
  emptySummarizeTimings,
  summarizeTraces,
  type SummarizeTimings,
} from '../../src/trajectories/summarize-traces.ts';

export interface SummarizerOptions {
  /** Pause between polls when there was nothing (more) to do. @default 1000 */
  intervalMillis?: number;
  /**
   * Most marks read per poll (every mark of the last millisecond is taken too). Large, because a batch costs
   * little more than its smallest part: a point read by trace id reads whole granules of `spans` (measured on
   * 300k stored spans: 100 traces 0.9-2.5 s, 1,000 1.1 s, 5,000 1.5-2.1 s). @default 5000
   */
  batchTraces?: number;
  /** How far before the watermark each poll looks for late-visible marks. @default 10000 */
  overlapMillis?: number;
  /** Name of this summarizer's watermark row. @default 'default' */
  name?: string;
  /**
   * True while ingest has a backlog for the store. Summaries are not put off then (a list minutes stale is a
   * defect), but polls are spaced so the summarizer takes at most `shareUnderBacklog` of the wall time and storing
   * acknowledged spans keeps the rest.
   */
  underBacklog?: () => boolean;
  /** Largest share of wall time the summarizer's polls take while `underBacklog` holds. @default 0.5 */
  shareUnderBacklog?: number;
  log?: (message: string) => void;
  /** Agent-less calls this far apart are stitched into one conversation (stitch-conversations.ts). @default 300 */
  stitchWindowSeconds?: number;
  /** A conversation quiet this long may be complete already and is not extended. @default stitchWindowSeconds */
  openQuietSeconds?: number;
  /** Traces deleted through the API: nothing is written for them. */
  isDeleted?: (tenant: string, traceId: string) => boolean;
}

export interface Summarizer {
  start(): void;
  /** Resolves once every trace marked dirty before the call is summarized (tests wait on it). */
  flush(timeoutMillis?: number): Promise<void>;
  /** One poll; the number of traces it recomputed. */
  pollOnce(): Promise<number>;
  /** Runs `run` between two polls (deletions: no poll reads rows before and writes summaries after them). */
  whilePaused<T>(run: () => Promise<T>): Promise<T>;
  stop(): Promise<void>;
  readonly watermarkMillis: number;
  /** Work done since start, and the time it took per phase. */
  readonly stats: SummarizerStats;
}

export interface SummarizerStats {
  polls: number;
  traces: number;
  /** Milliseconds per phase: overlap and marks (dirty_traces reads), stitch, then summarizeTraces' own phases. */
  millis: { overlap: number; marks: number; stitch: number } & SummarizeTimings;
}

interface DirtyTrace {
  tenant: string;
  trace_id: string;
  ingested_ms: number | string;
}

/** Marks re-read from the overlap window per poll; far above what a few seconds of ingest mark. */
const maxOverlapTraces = 100_000;
/** While a backlog is worked off, the overlap window is re-read at most this often (see poll()). */
const overlapRereadMillis = 1000;

export function createSummarizer(client: ClickHouseClient, options: SummarizerOptions = {}): Summarizer {
  const intervalMillis = options.intervalMillis ?? 1000;
  const batchTraces = Math.max(1, options.batchTraces ?? 5000);
  const overlapMillis = options.overlapMillis ?? 10_000;
  const name = options.name ?? 'default';
  const log = options.log ?? (() => {});
  const underBacklog = options.underBacklog ?? (() => false);
  const share = Math.min(1, Math.max(0.05, options.shareUnderBacklog ?? 0.5));
  const stitchWindowSeconds = options.stitchWindowSeconds ?? defaultStitchWindowSeconds;
  const openQuietSeconds = options.openQuietSeconds ?? stitchWindowSeconds;
  const isDeleted = options.isDeleted ?? (() => false);

  let watermark: number | undefined;
  /** tenant/trace -> the latest mark already summarized, for marks inside the overlap window. */
  const processed = new Map<string, number>();
  let chain: Promise<unknown> = Promise.resolve();
  let timer: NodeJS.Timeout | undefined;
  let stopped = false;
  let lastError = '';
  let lastOverlapRead = -Infinity;
  /** The last read of new marks was cut by the batch size / late marks are left for the next poll. */
  let behind = false;
  let overlapDue = false;
  const timings: SummarizeTimings = emptySummarizeTimings();
  const stats: SummarizerStats = { polls: 0, traces: 0, millis: { overlap: 0, marks: 0, stitch: 0, ...timings } };

  const keyOf = (row: DirtyTrace) => `${row.tenant}\u0000${row.trace_id}`;

  async function loadWatermark(): Promise<number> {
    const [row] = await queryRows<{ watermark_ms: number | string }>(client, 'queries/summarizer-watermark.sql', {
      name,
    });
    return Number(row?.watermark_ms ?? 0);
  }

  /** The latest mark per trace in (since, until], oldest first (grouped: for the overlap window). */
  async function dirtyBetween(sinceMillis: number, untilMillis: number, limit: number): Promise<DirtyTrace[]> {
    return queryRows<DirtyTrace>(client, 'queries/dirty-traces-since.sql', {
      since_ms: Math.max(0, sinceMillis),
      until_ms: untilMillis,
      limit,
    });
  }

  /**
   * The traces of at least `limit` marks after `since` (every mark of the last millisecond too), each with its
   * latest mark, in order of it; `full` when the read was cut by the limit (more is waiting).
   */
  async function marksAfter(sinceMillis: number, limit: number): Promise<{ traces: DirtyTrace[]; full: boolean }> {
    const rows = await queryRows<DirtyTrace>(client, 'queries/dirty-marks-after.sql', {
      since_ms: Math.max(0, sinceMillis),
      limit,
    });
    const latest = new Map<string, DirtyTrace>();
    for (const row of rows) {
      const key = keyOf(row);
      // Deleted and set again, so the map stays in order of each trace's latest mark (rows come oldest first).
      latest.delete(key);
      latest.set(key, row);
    }
    return { traces: [...latest.values()], full: rows.length >= limit };
  }

  async function poll(): Promise<number> {
    const started = performance.now();
    const from = watermark ?? (watermark = await loadWatermark());
    const unprocessed = (row: DirtyTrace) => (processed.get(keyOf(row)) ?? -1) < Number(row.ingested_ms);
    // Marks carry the insert's server time and an insert may become visible after a later one was read, so marks
    // in the overlap window before the watermark are read again. That matters only near the head (a watermark
    // far behind the clock passes marks that were visible long before), so while a backlog is worked off it is
    // done once a second rather than for every batch, and on every poll at the head.
    let late: DirtyTrace[] = [];
    if (overlapDue || !behind || started - lastOverlapRead >= overlapRereadMillis) {
      lastOverlapRead = started;
      late = (await dirtyBetween(from - overlapMillis, from, maxOverlapTraces)).filter(unprocessed);
      stats.millis.overlap += performance.now() - started;
    }
    const freshStarted = performance.now();
    // Late marks go first (after a restart the whole window may be unprocessed); new ones when there is room.
    overlapDue = late.length >= batchTraces;
    let fresh: DirtyTrace[] = [];
    if (overlapDue) late = late.slice(0, batchTraces);
    else {
      const next = await marksAfter(from, batchTraces);
      fresh = next.traces;
      behind = next.full;
    }
    const work = [...late, ...fresh];
    stats.millis.marks += performance.now() - freshStarted;
    if (work.length === 0) return 0;

    const byTenant = new Map<string, Set<string>>();
    for (const row of work) {
      const traces = byTenant.get(row.tenant);
      if (traces) traces.add(row.trace_id);
      else byTenant.set(row.tenant, new Set([row.trace_id]));
    }
    const airRules = await readAirRules(client);
    for (const [tenant, traceSet] of byTenant) {
      const traceIds = [...traceSet];
      // Agent-less traces join their conversation first, so the summaries carry the stitched trajectory ids.
      const stitchStarted = performance.now();
      const { changedTrajectories } = await stitchTraces(client, tenant, traceIds, {
        stitchWindowSeconds,
        openQuietSeconds,
      });
      stats.millis.stitch += performance.now() - stitchStarted;
      // A stitched trajectory is named after its first trace, so the changed ones (a side call sent off on its
      // own, a merge) are summarized by that trace too, even when it was not in this batch.
      await summarizeTraces(client, tenant, [...new Set([...traceIds, ...changedTrajectories])], {
        airRules,
        timings,
        isDeleted: (traceId) => isDeleted(tenant, traceId),
      });
    }
    Object.assign(stats.millis, timings);

    for (const row of work)
      processed.set(keyOf(row), Math.max(processed.get(keyOf(row)) ?? -1, Number(row.ingested_ms)));
    const newest = fresh.reduce((max, row) => Math.max(max, Number(row.ingested_ms)), from);
    if (newest > from) {
      watermark = newest;
      await client.insert({
        table: 'summarizer_state',
        values: [{ name, watermark_ms: watermark }],
        format: 'JSONEachRow',
      });
    }
    for (const [key, mark] of processed) if (mark < watermark - overlapMillis) processed.delete(key);
    stats.polls++;
    stats.traces += work.length;
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
      const started = performance.now();
      exclusive(poll).then(
        () => {
          lastError = '';
          if (!behind && !overlapDue) return schedule(intervalMillis);
          // More is waiting: continue at once, or, while ingest has a backlog, after a pause that keeps the
          // summarizer's share of the wall time at `share`.
          const busy = performance.now() - started;
          schedule(underBacklog() ? (busy * (1 - share)) / share : 0);
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
    whilePaused: (run) => exclusive(run),
    async stop() {
      stopped = true;
      if (timer) clearTimeout(timer);
      timer = undefined;
      await chain;
    },
    get watermarkMillis() {
      return watermark ?? 0;
    },
    get stats() {
      return stats;
    },
  };
}
