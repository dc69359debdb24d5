/**
 * Where exports read trajectories from: a running receiver's HTTP API (the default, and the only way while a
 * receiver holds the embedded store), or a ClickHouse client directly (a ClickHouse server, a data directory no
 * receiver holds, or the receiver's own store for its scheduled jobs). Both serve the same summaries and
 * `Trajectory` objects; the API responses are validated with the model's zod schemas (a trust boundary).
 */
import type { ClickHouseClient } from '@clickhouse/client';
import { z } from 'zod';
import {
  trajectorySchema,
  trajectorySummarySchema,
  type Trajectory,
  type TrajectorySummary,
} from '../model/trajectory.ts';
import { trajectoryFiltersSchema, type TrajectoryFiltersInput } from '../trajectories/filters.ts';
import { readAirRules } from '../trajectories/read-assembly-input.ts';
import { getTrajectories, listTrajectories } from '../trajectories/read-trajectories.ts';
import type { TrajectorySettings } from '../trajectories/settings.ts';
import { readExportGroups } from './export-groups.ts';

export interface SummaryPage {
  trajectories: TrajectorySummary[];
  next_cursor: string | null;
}

export interface TrajectoryReader {
  /** The trajectories of `ids`, in order; undefined where an id is unknown. */
  getMany(ids: string[]): Promise<Array<Trajectory | undefined>>;
}

export interface TrajectorySource extends TrajectoryReader {
  list(filters: TrajectoryFiltersInput, page: { limit: number; cursor?: string | undefined }): Promise<SummaryPage>;
  /**
   * A reader for one export of `summaries` that reads once what every batch shares (AIR rules, group statistics)
   * and answers as `getMany` does. Sources without it are read batch by batch.
   */
  prepareExport?(summaries: TrajectorySummary[]): Promise<TrajectoryReader>;
}

export function storeTrajectorySource(
  client: ClickHouseClient,
  tenant: string,
  settings: Partial<TrajectorySettings> = {},
): TrajectorySource {
  return {
    list: (filters, page) => listTrajectories(client, tenant, trajectoryFiltersSchema.parse(filters), page, settings),
    getMany: (ids) => getTrajectories(client, tenant, ids, settings),
    async prepareExport(summaries) {
      const taskIds = [...new Set(summaries.map((summary) => summary.task_id).filter((taskId) => taskId !== ''))];
      const [airRules, groupStats] = await Promise.all([
        readAirRules(client),
        readExportGroups(client, tenant, taskIds, settings),
      ]);
      return { getMany: (ids) => getTrajectories(client, tenant, ids, settings, { airRules, groupStats }) };
    },
  };
}

const pageSchema = z.object({ trajectories: z.array(trajectorySummarySchema), next_cursor: z.string().nullable() });

export interface ApiSourceOptions {
  /** `http://host:port` of the receiver. */
  url: string;
  /** Bearer token (the tenant is the token's). */
  token?: string | undefined;
  /** Extra headers, e.g. from OTEL_EXPORTER_OTLP_HEADERS. */
  headers?: Record<string, string>;
  timeoutMillis?: number;
  /** Trajectory requests in flight at once. @default 8 */
  concurrency?: number;
}

export function apiTrajectorySource(options: ApiSourceOptions): TrajectorySource {
  const base = options.url.replace(/\/+$/, '');
  const headers: Record<string, string> = { accept: 'application/json', ...options.headers };
  if (options.token) headers['authorization'] = `Bearer ${options.token}`;
  const request = async (path: string): Promise<unknown> => {
    let response: Response;
    try {
      response = await fetch(`${base}${path}`, {
        headers,
        signal: AbortSignal.timeout(options.timeoutMillis ?? 60_000),
      });
    } catch (error) {
      throw new Error(
        `cannot reach the receiver at ${base}: ${(error as Error).message}. Start it (trajectories serve) or pass --receiver / --clickhouse-url / --data-dir`,
        { cause: error },
      );
    }
    if (response.status === 404) return undefined;
    if (!response.ok) {
      const body = await response.text();
      throw new Error(`receiver answered ${response.status} for ${path}: ${body.slice(0, 500)}`);
    }
    return response.json();
  };
  return {
    async list(filters, page) {
      const query = new URLSearchParams();
      for (const [key, value] of Object.entries(filters)) if (value !== undefined) query.set(key, String(value));
      query.set('limit', String(page.limit));
      if (page.cursor) query.set('cursor', page.cursor);
      const body = await request(`/v1/trajectories?${query.toString()}`);
      if (body === undefined)
        throw new Error(`the receiver at ${base} has no /v1/trajectories API (an older version?)`);
      return pageSchema.parse(body);
    },
    async getMany(ids) {
      const results = new Array<Trajectory | undefined>(ids.length);
      let next = 0;
      const worker = async () => {
        while (next < ids.length) {
          const index = next++;
          const body = await request(`/v1/trajectories/${encodeURIComponent(ids[index] as string)}`);
          results[index] = body === undefined ? undefined : trajectorySchema.parse(body);
        }
      };
      await Promise.all(Array.from({ length: Math.min(options.concurrency ?? 8, ids.length) }, worker));
      return results;
    },
  };
}

/** Parses OTEL_EXPORTER_OTLP_HEADERS-style `key=value,key2=value2` (values URL-encoded). */
export function parseHeaderList(text: string | undefined): Record<string, string> {
  const headers: Record<string, string> = {};
  for (const item of (text ?? '').split(',')) {
    const index = item.indexOf('=');
    if (index <= 0) continue;
    headers[decodeURIComponent(item.slice(0, index).trim()).toLowerCase()] = decodeURIComponent(
      item.slice(index + 1).trim(),
    );
  }
  return headers;
}
