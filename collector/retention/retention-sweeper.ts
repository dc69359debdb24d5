/**
 * Retention: traces whose newest span was received more than the tenant's retention ago are deleted whole, with
 * everything derived from them (src/store/delete-traces.ts), by a sweep that runs a minute after start and then
 * every hour. A trace is judged by its newest span, so a trace that is still growing is never cut in half.
 * The days come from `--retention-days` and, per tenant, `TRAJECTORIES_RETENTION_DAYS_BY_TENANT`
 * (`team-a=7,team-b=forever`); without either, data is kept.
 */
import type { ClickHouseClient } from '@clickhouse/client';
import { deleteTraceRows } from '../../src/store/delete-traces.ts';
import type { Summarizer } from '../summaries/summarizer.ts';

export interface RetentionPolicy {
  /** Days for tenants without an override; undefined keeps their data. */
  defaultDays: number | undefined;
  /** Per tenant: days, or undefined to keep its data whatever the default. */
  byTenant: ReadonlyMap<string, number | undefined>;
}

/** `team-a=7,team-b=forever` (the form of the environment variable). */
export function parseRetentionByTenant(text: string | undefined): Map<string, number | undefined> {
  const byTenant = new Map<string, number | undefined>();
  for (const item of (text ?? '').split(',')) {
    if (item.trim() === '') continue;
    const [tenant, days, extra] = item.split('=').map((part) => part.trim());
    const number = Number(days);
    if (!tenant || extra !== undefined || (days !== 'forever' && (!Number.isInteger(number) || number < 1)))
      throw new Error(
        `invalid retention ${JSON.stringify(item)}: expected tenant=days (a whole number of days >= 1) or tenant=forever`,
      );
    byTenant.set(tenant, days === 'forever' ? undefined : number);
  }
  return byTenant;
}

export interface RetentionSweeper {
  /** One sweep as if the time were `nowMillis`; the traces it deleted, by tenant. */
  sweep(nowMillis?: number): Promise<Map<string, number>>;
  start(): void;
  stop(): Promise<void>;
}

const batchTraces = 5000;

export function createRetentionSweeper(options: {
  client: ClickHouseClient;
  policy: RetentionPolicy;
  summaries: Pick<Summarizer, 'whilePaused'>;
  log: (message: string) => void;
  firstSweepMillis?: number;
  intervalMillis?: number;
}): RetentionSweeper {
  const { client, policy, summaries, log } = options;
  let timer: NodeJS.Timeout | undefined;
  let running: Promise<unknown> | undefined;
  let stopped = false;

  const daysOf = (tenant: string) => (policy.byTenant.has(tenant) ? policy.byTenant.get(tenant) : policy.defaultDays);

  async function expiredTraces(tenant: string, cutoffMillis: number): Promise<string[]> {
    const result = await client.query({
      query: `SELECT trace_id FROM trace_index WHERE tenant = {tenant:String}
              GROUP BY trace_id HAVING max(last_ingested_at) < fromUnixTimestamp64Milli({cutoff:Int64})
              LIMIT {limit:UInt32}`,
      query_params: { tenant, cutoff: cutoffMillis, limit: batchTraces },
      format: 'JSONEachRow',
    });
    return (await result.json<{ trace_id: string }>()).map((row) => row.trace_id);
  }

  async function sweep(nowMillis = Date.now()): Promise<Map<string, number>> {
    const deleted = new Map<string, number>();
    if (policy.defaultDays === undefined && [...policy.byTenant.values()].every((days) => days === undefined))
      return deleted;
    const tenants = await client.query({ query: 'SELECT DISTINCT tenant FROM trace_index', format: 'JSONEachRow' });
    for (const { tenant } of await tenants.json<{ tenant: string }>()) {
      const days = daysOf(tenant);
      if (days === undefined) continue;
      const cutoff = nowMillis - days * 86_400_000;
      for (;;) {
        const traces = await expiredTraces(tenant, cutoff);
        if (traces.length === 0) break;
        await summaries.whilePaused(() => deleteTraceRows(client, tenant, traces));
        deleted.set(tenant, (deleted.get(tenant) ?? 0) + traces.length);
        if (traces.length < batchTraces) break;
      }
      const count = deleted.get(tenant);
      if (count) log(`retention: deleted ${count} traces of tenant ${tenant} older than ${days} days`);
    }
    return deleted;
  }

  const schedule = (delay: number) => {
    if (stopped) return;
    timer = setTimeout(() => {
      running = sweep()
        .catch((error: unknown) => log(`retention sweep failed (will retry): ${(error as Error).message}`))
        .finally(() => schedule(options.intervalMillis ?? 3_600_000));
    }, delay);
    timer.unref();
  };

  return {
    sweep,
    start: () => schedule(options.firstSweepMillis ?? 60_000),
    async stop() {
      stopped = true;
      if (timer) clearTimeout(timer);
      await running;
    },
  };
}
