/**
 * The analytics API, scoped to the caller's tenant: `/v1/analytics/summary` (one group, or `by` a dimension),
 * `/v1/analytics/timeseries` (`bucket` hour or day), `/v1/analytics/tools` (one row per tool) and
 * `/v1/analytics/rewards` (the final-reward distribution, `bins` equal-width bins). All take the
 * filters of src/analytics/read-analytics.ts (agent, task, model, since, until); a bad value is a 400 naming it.
 */
import type { ClickHouseClient } from '@clickhouse/client';
import { z } from 'zod';
import {
  analyticsBuckets,
  analyticsDimensions,
  analyticsFiltersSchema,
  readAnalytics,
} from '../../src/analytics/read-analytics.ts';
import { readRewardDistribution } from '../../src/analytics/reward-distribution.ts';
import type { Router } from '../http/router.ts';
import { sendJson } from '../http/send.ts';
import { parseQuery } from './parse-query.ts';

const summarySchema = analyticsFiltersSchema.extend({ by: z.enum(analyticsDimensions).optional() });
const rewardsSchema = analyticsFiltersSchema.extend({ bins: z.coerce.number().int().min(1).max(100).default(10) });
const timeseriesSchema = analyticsFiltersSchema.extend({ bucket: z.enum(analyticsBuckets).default('hour') });

export function addAnalyticsRoutes(router: Router, client: ClickHouseClient): void {
  router.add('GET', '/v1/analytics/summary', async (context) => {
    const { by, ...filters } = parseQuery(summarySchema, context.url);
    const groups = await readAnalytics(client, context.tenant, filters, by ?? '');
    if (by) sendJson(context.response, 200, { by, groups });
    else sendJson(context.response, 200, { summary: groups[0] });
  });

  router.add('GET', '/v1/analytics/timeseries', async (context) => {
    const { bucket, ...filters } = parseQuery(timeseriesSchema, context.url);
    const groups = await readAnalytics(client, context.tenant, filters, bucket);
    sendJson(context.response, 200, {
      bucket,
      buckets: groups.map(({ key, ...measures }) => ({ start: key, ...measures })),
    });
  });

  router.add('GET', '/v1/analytics/tools', async (context) => {
    const filters = parseQuery(analyticsFiltersSchema, context.url);
    const groups = await readAnalytics(client, context.tenant, filters, 'tool');
    sendJson(context.response, 200, {
      tools: groups.map((group) => ({
        tool: group.key,
        trajectories: group.trajectories,
        executions: group.tool_executions.count,
        errors: group.tool_executions.errors,
        error_rate: group.tool_executions.error_rate,
        error_types: group.tool_executions.error_types,
        latency_ms: group.tool_executions.latency_ms,
        success_rate: group.success_rate,
      })),
    });
  });

  router.add('GET', '/v1/analytics/rewards', async (context) => {
    const { bins, ...filters } = parseQuery(rewardsSchema, context.url);
    sendJson(context.response, 200, { bins: await readRewardDistribution(client, context.tenant, filters, bins) });
  });
}
