/**
 * Removing traces, or a whole tenant, with everything derived from them: the spans, their contents, evaluation
 * events, feedback, annotations, the trajectory summaries and analytics calls, the search index (trace_index, trace_words),
 * rollout and stitching records, dirty marks and export job markers of their trajectories. ClickHouse's
 * lightweight DELETE masks the rows at once (every read, FINAL included, stops seeing them; it waits for that by
 * default, `lightweight_deletes_sync = 2`) and merges drop them from disk later. What keeps them from coming back (a retry, the write-ahead log) is the caller's part: the
 * receiver records deleted traces (`deleted_traces`) and drops their rows before inserting (collector/ingest/).
 */
import type { ClickHouseClient } from '@clickhouse/client';

/** Tables whose rows name their trace, in the order rows are removed (derived rows first, spans last). */
export const tablesByTrace = [
  'trajectory_annotations',
  'trajectory_calls',
  'trajectory_summaries',
  'trace_words',
  'trace_index',
  'rollout_traces',
  'trace_stitches',
  'stitch_keys',
  'dirty_traces',
  'feedback',
  'events',
  'contents',
  'spans',
] as const;

/** Tables keyed by tenant that hold no trace id but are the tenant's (removed with a whole tenant). */
const tenantOnlyTables = ['export_job_trajectories', 'export_job_runs', 'text_embeddings'] as const;

/** Ids of the trajectories stored for these traces (to remove what names a trajectory, not a trace). */
async function trajectoryIdsOf(client: ClickHouseClient, tenant: string, traceIds: string[]): Promise<string[]> {
  const result = await client.query({
    query: `SELECT DISTINCT id FROM trajectory_summaries
            WHERE tenant = {tenant:String} AND trace_id IN {trace_ids:Array(String)}`,
    query_params: { tenant, trace_ids: traceIds },
    format: 'JSONEachRow',
  });
  return (await result.json<{ id: string }>()).map((row) => row.id);
}

/** Removes every row of these traces of `tenant`; idempotent. Returns the trajectory ids that were stored. */
export async function deleteTraceRows(client: ClickHouseClient, tenant: string, traceIds: string[]): Promise<string[]> {
  if (traceIds.length === 0) return [];
  const trajectories = await trajectoryIdsOf(client, tenant, traceIds);
  for (const table of tablesByTrace) {
    await client.command({
      query: `DELETE FROM ${table} WHERE tenant = {tenant:String} AND trace_id IN {trace_ids:Array(String)}`,
      query_params: { tenant, trace_ids: traceIds },
    });
  }
  if (trajectories.length > 0)
    await client.command({
      query: `DELETE FROM export_job_trajectories
              WHERE tenant = {tenant:String} AND trajectory_id IN {trajectory_ids:Array(String)}`,
      query_params: { tenant, trajectory_ids: trajectories },
    });
  return trajectories;
}

/** Removes every row of `tenant` from every table that holds tenant rows; idempotent. */
export async function deleteTenantRows(client: ClickHouseClient, tenant: string): Promise<void> {
  // deleted_traces stays: a retry of a trace deleted before must not bring it back with the tenant's new data.
  for (const table of [...tablesByTrace, ...tenantOnlyTables]) {
    await client.command({
      query: `DELETE FROM ${table} WHERE tenant = {tenant:String}`,
      query_params: { tenant },
    });
  }
}

/** Records traces as deleted, so the receiver drops rows of them that arrive later. */
export async function recordDeletedTraces(client: ClickHouseClient, tenant: string, traceIds: string[]): Promise<void> {
  if (traceIds.length === 0) return;
  await client.insert({
    table: 'deleted_traces',
    values: traceIds.map((trace_id) => ({ tenant, trace_id })),
    format: 'JSONEachRow',
  });
}

export async function readDeletedTraces(
  client: ClickHouseClient,
): Promise<Array<{ tenant: string; trace_id: string }>> {
  const result = await client.query({
    query: 'SELECT DISTINCT tenant, trace_id FROM deleted_traces',
    format: 'JSONEachRow',
  });
  return result.json<{ tenant: string; trace_id: string }>();
}
