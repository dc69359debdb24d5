/**
 * The trajectory API: list (filters, sort + keyset pagination), search, one trajectory with turns/rewards/credit, and
 * feedback rewards. Every route is scoped to the caller's tenant; query strings go through the same zod schema as
 * the library functions, and a bad value answers 400 naming the field. `/v1/trajectories/search` is registered
 * before `/v1/trajectories/:id` because the router takes the first match.
 */
import type { ClickHouseClient } from '@clickhouse/client';
import { z } from 'zod';
import { outcomeSchema } from '../../src/model/trajectory.ts';
import { countTraceSpans } from '../../src/store/read-spans.ts';
import { InvalidCursorError } from '../../src/trajectories/cursor.ts';
import { annotationPatchSchema, patchAnnotations } from '../../src/trajectories/annotations.ts';
import { feedbackBodySchema, storeFeedback } from '../../src/trajectories/feedback.ts';
import { describeIssue, trajectoryFiltersSchema } from '../../src/trajectories/filters.ts';
import { defaultListOrder, sortOrderSchema, trajectorySortSchema } from '../../src/trajectories/list-order.ts';
import { findTrajectorySummary, getTrajectory, listTrajectories } from '../../src/trajectories/read-trajectories.ts';
import { EmbeddingEndpointError, type EmbeddingClient } from '../../src/trajectories/embedding-client.ts';
import { searchTrajectories } from '../../src/trajectories/search.ts';
import { resolveTrajectorySettings, type TrajectorySettings } from '../../src/trajectories/settings.ts';
import { summarizeTraces } from '../../src/trajectories/summarize-traces.ts';
import { parseTrajectoryId, traceIdsForTrajectory } from '../../src/trajectories/trajectory-id.ts';
import { HttpError } from '../http/http-error.ts';
import { requireJsonBody } from '../http/read-body.ts';
import type { Router } from '../http/router.ts';
import { heavyReadGateFor, resolveReadLimits, withinReadLimits, type ReadLimits } from './read-limits.ts';
import { parseQuery } from './parse-query.ts';
import { streamJson } from './stream-json.ts';
import { sendJson } from '../http/send.ts';

const limitSchema = z.coerce.number().int().min(1).max(1000);
// The filters schema is shared with exports, which have no order: sort and order belong to the page.
const pageSchema = trajectoryFiltersSchema.extend({
  limit: limitSchema.default(50),
  cursor: z.string().min(1).max(4000).optional(),
  sort: trajectorySortSchema.default(defaultListOrder.sort),
  order: sortOrderSchema.default(defaultListOrder.order),
});
const searchSchema = z.strictObject({
  // Every search scores each candidate against q: keep it to a task-sized text.
  q: z.string().trim().min(1).max(1000),
  min_reward: trajectoryFiltersSchema.shape.min_reward,
  /** Context learning looks for successes (the default); `any` searches every outcome (the dashboard's search box). */
  outcome: z.enum(['any', ...outcomeSchema.options]).default('success'),
  agent: trajectoryFiltersSchema.shape.agent,
  limit: limitSchema.default(10),
});
const maxFeedbackBytes = 64 * 1024;

export function addTrajectoryRoutes(
  router: Router,
  client: ClickHouseClient,
  options: Partial<TrajectorySettings> & {
    embeddings?: EmbeddingClient | undefined;
    readLimits?: Partial<ReadLimits> | undefined;
  } = {},
): void {
  const settings = resolveTrajectorySettings(options);
  const readLimits = resolveReadLimits(options.readLimits);
  const gate = heavyReadGateFor(client, readLimits);

  router.add('GET', '/v1/trajectories', async (context) => {
    const { limit, cursor, sort, order, ...filters } = parseQuery(pageSchema, context.url);
    try {
      sendJson(
        context.response,
        200,
        await listTrajectories(client, context.tenant, filters, { limit, cursor, sort, order }, settings),
      );
    } catch (error) {
      if (error instanceof InvalidCursorError) throw new HttpError(400, error.message);
      throw error;
    }
  });

  router.add('GET', '/v1/trajectories/search', async (context) => {
    const { outcome, agent, ...query } = parseQuery(searchSchema, context.url);
    const filters = { outcome: outcome === 'any' ? undefined : outcome, min_reward: query.min_reward, agent };
    try {
      sendJson(context.response, 200, {
        trajectories: await searchTrajectories(
          client,
          context.tenant,
          { ...query, filters },
          {
            ...settings,
            embeddings: options.embeddings,
          },
        ),
      });
    } catch (error) {
      if (error instanceof EmbeddingEndpointError) throw new HttpError(502, error.message);
      throw error;
    }
  });

  router.add('GET', '/v1/trajectories/:id', async (context) => {
    const id = context.params['id'] ?? '';
    const traceIds = parseTrajectoryId(id) ? await traceIdsForTrajectory(client, context.tenant, id) : [];
    // Assembly reads every span of the trajectory's traces, so that is what the limit counts.
    const spans = await countTraceSpans(client, context.tenant, traceIds);
    const tooLarge = () =>
      `trajectory ${id} has ${spans} spans in its traces, more than the ${readLimits.maxSpansPerRead} one read ` +
      `assembles; read its spans page by page with GET /v1/traces/{trace_id}?limit=${readLimits.maxSpansPerRead}` +
      `&offset=0 (its traces: ${traceIds.slice(0, 3).join(', ')}${traceIds.length > 3 ? ', ...' : ''})`;
    await withinReadLimits(gate, readLimits, spans, tooLarge, async () => {
      const trajectory = await getTrajectory(client, context.tenant, id, settings);
      if (!trajectory) throw new HttpError(404, `trajectory ${id} not found`);
      await streamJson(context.response, 200, trajectory, { stallMillis: readLimits.writeStallMillis });
    });
  });

  router.add('PATCH', '/v1/trajectories/:id', async (context) => {
    const id = context.params['id'] ?? '';
    const parsed = annotationPatchSchema.safeParse(await requireJsonBody(context.request, maxFeedbackBytes));
    if (!parsed.success) throw new HttpError(400, describeIssue(parsed.error));
    const summary = await findTrajectorySummary(client, context.tenant, id, settings);
    if (!summary) throw new HttpError(404, `trajectory ${id} not found`);
    const annotations = await patchAnnotations(client, context.tenant, summary, parsed.data);
    sendJson(context.response, 200, { trajectory_id: id, annotations });
  });

  router.add('POST', '/v1/trajectories/:id/rewards', async (context) => {
    const id = context.params['id'] ?? '';
    const parsed = feedbackBodySchema.safeParse(await requireJsonBody(context.request, maxFeedbackBytes));
    if (!parsed.success) throw new HttpError(400, describeIssue(parsed.error));
    const summary = await findTrajectorySummary(client, context.tenant, id, settings);
    if (!summary) throw new HttpError(404, `trajectory ${id} not found`);
    const reward = await storeFeedback(client, context.tenant, summary, parsed.data);
    // Read-your-writes for the list: the summarizer would catch up within its poll interval (the feedback table
    // marks the trace dirty), but a client that posts and then lists expects to see its reward.
    await summarizeTraces(client, context.tenant, [summary.trace_id]);
    sendJson(context.response, 201, { trajectory_id: id, reward });
  });
}
