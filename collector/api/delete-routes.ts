/**
 * Deletion: `DELETE /v1/traces/{trace_id}`, `DELETE /v1/trajectories/{id}` (the traces it is made of: a nested
 * agent's trajectory shares its trace with its parent, a stitched conversation or a rollout spans several) and
 * `DELETE /v1/tenant` (everything of the caller's tenant that was acknowledged before the request). All scoped to
 * the caller's tenant, idempotent, and answered once the rows are gone from every read path (deletions.ts).
 */
import { z } from 'zod';
import { parseTrajectoryId, traceIdsForTrajectory } from '../../src/trajectories/trajectory-id.ts';
import { HttpError } from '../http/http-error.ts';
import type { Router } from '../http/router.ts';
import { sendJson } from '../http/send.ts';
import type { Deletions } from './deletions.ts';

const traceIdSchema = z
  .string()
  .regex(/^[0-9a-fA-F]{32}$/, 'must be 32 hexadecimal characters')
  .transform((value) => value.toLowerCase());

export function addDeleteRoutes(router: Router, deletions: Deletions): void {
  router.add('DELETE', '/v1/traces/:traceId', async (context) => {
    const parsed = traceIdSchema.safeParse(context.params['traceId']);
    if (!parsed.success) throw new HttpError(400, `trace_id: ${parsed.error.issues[0]?.message ?? 'invalid'}`);
    const trajectories = await deletions.deleteTraces(context.tenant, [parsed.data]);
    sendJson(context.response, 200, { deleted: { traces: [parsed.data], trajectories } });
  });

  router.add('DELETE', '/v1/trajectories/:id', async (context) => {
    const id = context.params['id'] ?? '';
    if (!parseTrajectoryId(id)) throw new HttpError(400, `id: ${JSON.stringify(id)} is not a trajectory id`);
    const traces = await traceIdsForTrajectory(deletions.client, context.tenant, id);
    const trajectories = await deletions.deleteTraces(context.tenant, traces);
    sendJson(context.response, 200, { deleted: { traces, trajectories } });
  });

  router.add('DELETE', '/v1/tenant', async (context) => {
    await deletions.deleteTenant(context.tenant);
    sendJson(context.response, 200, { deleted: { tenant: context.tenant } });
  });
}
