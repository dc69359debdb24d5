/**
 * `GET /v1/traces/{trace_id}`: the canonical spans of one trace, scoped to the caller's tenant. A whole trace is
 * served up to the read limit (read-limits.ts); `?limit=N&offset=M` serves a window of its spans in (start, span
 * id) order with `next_offset`, so a trace of any size can be read page by page.
 */
import type { ClickHouseClient } from '@clickhouse/client';
import { z } from 'zod';
import { countTraceSpans, readTraceSpans, type SpanPage } from '../../src/store/read-spans.ts';
import { describeIssue } from '../../src/trajectories/filters.ts';
import { HttpError } from '../http/http-error.ts';
import type { Router } from '../http/router.ts';
import { heavyReadGateFor, resolveReadLimits, withinReadLimits, type ReadLimits } from './read-limits.ts';
import { streamJson } from './stream-json.ts';

const traceIdPattern = /^[0-9a-f]{32}$/;

function pageSchema(maxSpans: number) {
  // Other query parameters are ignored, as they were before paging existed.
  return z.object({
    limit: z.coerce.number().int().min(1).max(maxSpans).optional(),
    offset: z.coerce.number().int().min(0).optional(),
  });
}

export function addTraceRoutes(
  router: Router,
  client: ClickHouseClient,
  options: { readLimits?: Partial<ReadLimits> } = {},
): void {
  const limits = resolveReadLimits(options.readLimits);
  const gate = heavyReadGateFor(client, limits);
  const pageQuery = pageSchema(limits.maxSpansPerRead);

  router.add('GET', '/v1/traces/:trace_id', async (context) => {
    const traceId = (context.params['trace_id'] ?? '').toLowerCase();
    if (!traceIdPattern.test(traceId)) throw new HttpError(400, 'trace_id must be 32 hexadecimal characters');
    const query = pageQuery.safeParse(Object.fromEntries(context.url.searchParams));
    if (!query.success) throw new HttpError(400, describeIssue(query.error));
    const page: SpanPage | undefined =
      query.data.limit !== undefined || query.data.offset !== undefined
        ? { offset: query.data.offset ?? 0, limit: query.data.limit ?? limits.maxSpansPerRead }
        : undefined;
    const total = await countTraceSpans(client, context.tenant, [traceId]);
    if (total === 0) throw new HttpError(404, `trace ${traceId} not found`);
    const reading = page ? Math.min(page.limit, Math.max(0, total - page.offset)) : total;
    const tooLarge = () =>
      `trace ${traceId} has ${total} spans, more than the ${limits.maxSpansPerRead} one read serves; ` +
      `read it in pages: GET /v1/traces/${traceId}?limit=${limits.maxSpansPerRead}&offset=0, then each ` +
      "answer's next_offset";
    await withinReadLimits(gate, limits, reading, tooLarge, async () => {
      const spans = await readTraceSpans(client, context.tenant, traceId, page);
      const streaming = { stallMillis: limits.writeStallMillis };
      if (!page) return streamJson(context.response, 200, { trace_id: traceId, spans }, streaming);
      const next = page.offset + spans.length;
      await streamJson(
        context.response,
        200,
        {
          trace_id: traceId,
          spans,
          next_offset: spans.length === page.limit && next < total ? next : null,
        },
        streaming,
      );
    });
  });
}
