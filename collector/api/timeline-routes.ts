/**
 * `GET /v1/trajectories/{id}/spans`: the timeline of one trajectory (src/trajectories/trajectory-timeline.ts), every
 * span under it without content, for the dashboard's execution timeline and any client drawing one. It reads every
 * span of the trajectory's traces, so the read limit counts those, as the trajectory read does.
 */
import type { ClickHouseClient } from '@clickhouse/client';
import { countTraceSpans } from '../../src/store/read-spans.ts';
import { readTrajectoryTimeline, timelineTraceIds } from '../../src/trajectories/trajectory-timeline.ts';
import { HttpError } from '../http/http-error.ts';
import type { Router } from '../http/router.ts';
import { heavyReadGateFor, resolveReadLimits, withinReadLimits, type ReadLimits } from './read-limits.ts';
import { streamJson } from './stream-json.ts';

export function addTimelineRoutes(
  router: Router,
  client: ClickHouseClient,
  options: { readLimits?: Partial<ReadLimits> | undefined } = {},
): void {
  const limits = resolveReadLimits(options.readLimits);
  const gate = heavyReadGateFor(client, limits);

  router.add('GET', '/v1/trajectories/:id/spans', async (context) => {
    const id = context.params['id'] ?? '';
    const traceIds = await timelineTraceIds(client, context.tenant, id);
    const spans = await countTraceSpans(client, context.tenant, traceIds);
    const tooLarge = () =>
      `trajectory ${id} has ${spans} spans in its traces, more than the ${limits.maxSpansPerRead} one read serves; ` +
      `read them page by page with GET /v1/traces/{trace_id}?limit=${limits.maxSpansPerRead}&offset=0`;
    await withinReadLimits(gate, limits, spans, tooLarge, async () => {
      const timeline = await readTrajectoryTimeline(client, context.tenant, id, traceIds);
      if (!timeline) throw new HttpError(404, `trajectory ${id} not found`);
      await streamJson(context.response, 200, timeline, { stallMillis: limits.writeStallMillis });
    });
  });
}
