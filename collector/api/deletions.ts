/**
 * The order that makes a deletion stick while ingest and the summarizer keep running:
 * - traces: record them as deleted (durably, then in memory), so every later insert drops their rows; wait for the
 *   insert in flight, which may still hold them; then remove what is stored, between two summarizer polls, so no
 *   poll that read them before writes their summaries after. A restart loads the record before replaying the log.
 * - a tenant: store what the write-ahead log holds (everything acknowledged before the request), then remove every
 *   row of the tenant the same way. What is acknowledged after the request is new data and stays.
 */
import type { ClickHouseClient } from '@clickhouse/client';
import { deleteTenantRows, deleteTraceRows, recordDeletedTraces } from '../../src/store/delete-traces.ts';
import type { DeletedTraces } from '../ingest/deleted-traces.ts';
import type { Summarizer } from '../summaries/summarizer.ts';

export interface Deletions {
  client: ClickHouseClient;
  /** Removes the traces; the ids of the trajectories that were stored for them. */
  deleteTraces(tenant: string, traceIds: string[]): Promise<string[]>;
  deleteTenant(tenant: string): Promise<void>;
}

export function createDeletions(options: {
  client: ClickHouseClient;
  deletedTraces: DeletedTraces;
  writer: { settled(): Promise<void> };
  summaries: Pick<Summarizer, 'whilePaused'>;
  /** Resolves once everything acknowledged so far is stored (throws when that takes too long). */
  storeAcknowledged: () => Promise<void>;
}): Deletions {
  const { client, deletedTraces, writer, summaries } = options;
  return {
    client,
    async deleteTraces(tenant, traceIds) {
      if (traceIds.length === 0) return [];
      await recordDeletedTraces(client, tenant, traceIds);
      deletedTraces.add(tenant, traceIds);
      await writer.settled();
      return summaries.whilePaused(() => deleteTraceRows(client, tenant, traceIds));
    },
    async deleteTenant(tenant) {
      await options.storeAcknowledged();
      await writer.settled();
      await summaries.whilePaused(() => deleteTenantRows(client, tenant));
    },
  };
}
