/** `GET /v1/traces/{trace_id}`: the canonical spans of one trace, scoped to the caller's tenant. */
import type { ClickHouseClient } from '@clickhouse/client';
import { readTraceSpans } from '../../src/store/read-spans.ts';
import { HttpError } from '../http/http-error.ts';
import type { Router } from '../http/router.ts';
import { streamJson } from './stream-json.ts';

const traceIdPattern = /^[0-9a-f]{32}$/;

export function addTraceRoutes(router: Router, client: ClickHouseClient): void {
  router.add('GET', '/v1/traces/:trace_id', async (context) => {
    const traceId = (context.params['trace_id'] ?? '').toLowerCase();
    if (!traceIdPattern.test(traceId)) throw new HttpError(400, 'trace_id must be 32 hexadecimal characters');
    const spans = await readTraceSpans(client, context.tenant, traceId);
    if (spans.length === 0) throw new HttpError(404, `trace ${traceId} not found`);
    await streamJson(context.response, 200, { trace_id: traceId, spans });
  });
}
