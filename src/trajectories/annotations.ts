/**
 * Annotations of a trajectory: tags, an outcome that overrides the computed one, `human_reviewed` and a note.
 * Stored in `trajectory_annotations` beside the spans (which stay as the agent sent them), merged on every PATCH
 * (a field left out keeps its value, `null` clears it), shown by the API and usable as list and export filters
 * (queries/trajectory-summary-page.sql applies them, and the outcome override, in SQL).
 */
import type { ClickHouseClient } from '@clickhouse/client';
import { z } from 'zod';
import { outcomeSchema, type Annotations, type Outcome } from '../model/trajectory.ts';

const tag = z.string().trim().min(1).max(200);

export const annotationPatchSchema = z
  .strictObject({
    tags: z.array(tag).max(100).nullable().optional(),
    outcome: outcomeSchema.nullable().optional(),
    human_reviewed: z.boolean().nullable().optional(),
    note: z.string().max(100_000).nullable().optional(),
  })
  .refine((patch) => Object.keys(patch).length > 0, 'give at least one of tags, outcome, human_reviewed, note');
export type AnnotationPatch = z.infer<typeof annotationPatchSchema>;

interface AnnotationRow {
  trajectory_id: string;
  tags: string[];
  outcome: string;
  human_reviewed: number | boolean;
  note: string;
  updated_ms: number | string;
}

function toAnnotations(row: AnnotationRow): Annotations {
  return {
    tags: row.tags,
    outcome: row.outcome === '' ? null : (row.outcome as Outcome),
    human_reviewed: row.human_reviewed === true || Number(row.human_reviewed) === 1,
    note: row.note,
    updated_at: new Date(Number(row.updated_ms)).toISOString(),
  };
}

export async function readAnnotations(
  client: ClickHouseClient,
  tenant: string,
  trajectoryIds: string[],
): Promise<Map<string, Annotations>> {
  if (trajectoryIds.length === 0) return new Map();
  const result = await client.query({
    query: `SELECT trajectory_id, tags, outcome, human_reviewed, note, updated_ms
            FROM trajectory_annotations FINAL
            WHERE tenant = {tenant:String} AND trajectory_id IN {ids:Array(String)}`,
    query_params: { tenant, ids: trajectoryIds },
    format: 'JSONEachRow',
  });
  const rows = await result.json<AnnotationRow>();
  return new Map(rows.map((row) => [row.trajectory_id, toAnnotations(row)]));
}

/** Merges `patch` into the trajectory's annotations and stores the whole; the annotations it now has. */
export async function patchAnnotations(
  client: ClickHouseClient,
  tenant: string,
  trajectory: { id: string; trace_id: string },
  patch: AnnotationPatch,
): Promise<Annotations> {
  const current = (await readAnnotations(client, tenant, [trajectory.id])).get(trajectory.id);
  const pick = <K extends keyof AnnotationPatch>(key: K, fallback: NonNullable<AnnotationPatch[K]> | null) =>
    patch[key] === undefined ? fallback : patch[key];
  // Strictly later than the stored one, so this write wins even within one millisecond.
  const updatedMs = Math.max(Date.now(), current ? Date.parse(current.updated_at) + 1 : 0);
  const merged: Annotations = {
    tags: [...new Set(pick('tags', current?.tags ?? []) ?? [])],
    outcome: pick('outcome', current?.outcome ?? null) ?? null,
    human_reviewed: pick('human_reviewed', current?.human_reviewed ?? false) ?? false,
    note: pick('note', current?.note ?? '') ?? '',
    updated_at: new Date(updatedMs).toISOString(),
  };
  await client.insert({
    table: 'trajectory_annotations',
    values: [
      {
        tenant,
        trajectory_id: trajectory.id,
        trace_id: trajectory.trace_id,
        tags: merged.tags,
        outcome: merged.outcome ?? '',
        human_reviewed: merged.human_reviewed ? 1 : 0,
        note: merged.note,
        updated_ms: updatedMs,
      },
    ],
    format: 'JSONEachRow',
  });
  return merged;
}
