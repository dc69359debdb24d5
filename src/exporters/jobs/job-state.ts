/**
 * A job's state in ClickHouse (migrations/0010_export_jobs.sql): its runs (pending -> committed | failed) and
 * the trajectories it has exported. Every write is an insert of a newer version, so the state is safe under
 * retries and readable with FINAL.
 */
import type { ClickHouseClient } from '@clickhouse/client';
import { loadSql } from '../../store/sql-files.ts';

export type RunStatus = 'pending' | 'committed' | 'failed';

export interface JobRun {
  run_id: string;
  sequence: number;
  status: RunStatus;
  file: string;
  format: string;
  trajectory_ids: string[];
  watermark_ns: string;
  records: number;
  bytes: number;
  error: string;
  started_at: string;
  updated_at: string;
}

const version: Record<RunStatus, number> = { pending: 1, committed: 2, failed: 2 };

export class JobState {
  constructor(
    private readonly client: ClickHouseClient,
    private readonly tenant: string,
    private readonly job: string,
  ) {}

  private async rows<T>(file: string, params: Record<string, unknown> = {}): Promise<T[]> {
    const result = await this.client.query({
      query: loadSql(file),
      query_params: { tenant: this.tenant, job: this.job, ...params },
      format: 'JSONEachRow',
    });
    return result.json<T>();
  }

  private static toRun(this: void, row: Record<string, unknown>): JobRun {
    return {
      ...(row as unknown as JobRun),
      sequence: Number(row['sequence']),
      records: Number(row['records']),
      bytes: Number(row['bytes']),
    };
  }

  async runs(limit = 20): Promise<JobRun[]> {
    return (await this.rows<Record<string, unknown>>('queries/export-job-runs.sql', { limit })).map(JobState.toRun);
  }

  async pendingRuns(): Promise<JobRun[]> {
    return (await this.rows<Record<string, unknown>>('queries/export-job-pending-runs.sql')).map(JobState.toRun);
  }

  /** The last run sequence (0 before the first run) and the committed watermark (unix ns). */
  async position(): Promise<{ lastSequence: number; watermarkNs: bigint }> {
    const [row] = await this.rows<{ last_sequence: string | number | null; watermark_ns: string | null }>(
      'queries/export-job-state.sql',
    );
    return { lastSequence: Number(row?.last_sequence ?? 0), watermarkNs: BigInt(row?.watermark_ns ?? '0') };
  }

  async exportedAmong(ids: string[]): Promise<Set<string>> {
    const exported = new Set<string>();
    for (let index = 0; index < ids.length; index += 5000) {
      const rows = await this.rows<{ trajectory_id: string }>('queries/export-job-exported.sql', {
        ids: ids.slice(index, index + 5000),
      });
      for (const row of rows) exported.add(row.trajectory_id);
    }
    return exported;
  }

  async recordRun(run: Omit<JobRun, 'updated_at'> & { status: RunStatus }): Promise<void> {
    await this.client.insert({
      table: 'export_job_runs',
      values: [{ tenant: this.tenant, job: this.job, ...run, version: version[run.status] }],
      format: 'JSONEachRow',
      clickhouse_settings: { date_time_input_format: 'best_effort' },
    });
  }

  async markExported(runId: string, ids: string[]): Promise<void> {
    if (ids.length === 0) return;
    await this.client.insert({
      table: 'export_job_trajectories',
      values: ids.map((trajectory_id) => ({ tenant: this.tenant, job: this.job, trajectory_id, run_id: runId })),
      format: 'JSONEachRow',
    });
  }
}
