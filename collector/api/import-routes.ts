/**
 * `POST /v1/trajectories`: trajectories that never were spans (src/imports/), ingested as the spans they become,
 * through the write-ahead log like any OTLP request. 202 once durable, with the trace and trajectory id of each;
 * 400 naming the first bad field, with nothing imported; the OTLP answers (429, 503) when ingest is refusing.
 */
import { importedSpans, parseImportRequest } from '../../src/imports/import-trajectories.ts';
import type { IngestResult } from '../ingest/ingest-result.ts';
import type { Ingestor } from '../ingest/ingestor.ts';
import { HttpError } from '../http/http-error.ts';
import { requireJsonBody } from '../http/read-body.ts';
import type { Router } from '../http/router.ts';
import { sendJson } from '../http/send.ts';

/** Ingest's refusal as the OTLP/HTTP answer would give it: 429 when overloaded, 503 when it cannot log. */
function refuseUnlessAccepted(result: IngestResult): void {
  if (result.status === 'accepted') return;
  throw new HttpError(result.status === 'overloaded' ? 429 : 503, result.message, {
    'Retry-After': String(result.retryAfterSeconds),
  });
}

export function addImportRoutes(router: Router, ingestor: Ingestor, maxBodyBytes: number): void {
  router.add('POST', '/v1/trajectories', async (context) => {
    refuseUnlessAccepted(ingestor.admission());
    const body = await requireJsonBody(context.request, maxBodyBytes);
    let trajectories;
    try {
      trajectories = parseImportRequest(body);
    } catch (error) {
      throw new HttpError(400, (error as Error).message);
    }
    const imported = trajectories.map((trajectory) => importedSpans(context.tenant, trajectory));
    const result = await ingestor.ingestTraces(context.tenant, {
      spans: imported.flatMap((trajectory) => trajectory.spans),
      rejected: 0,
      rejectionMessages: [],
    });
    refuseUnlessAccepted(result);
    sendJson(context.response, 202, {
      imported: imported.map(({ id, trace_id, trajectory_id }) => ({ id, trace_id, trajectory_id })),
    });
  });
}
