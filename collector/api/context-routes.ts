/**
 * The context-learning API: what an agent about to act asks of past trajectories. `GET /v1/context/search`,
 * `/examples`, `/failures`, `/tools` take their request as a query string and `POST /v1/context/predict` as a JSON
 * body (a conversation does not fit a URL); all parse through the contract's request schemas (context-api.ts), so a
 * bad value answers 400 naming the field, and every answer is scoped to the caller's tenant. Failures, tools and
 * predict take a heavy-read slot (gated-context-service.ts), the same one the MCP tools take.
 */
import type { ClickHouseClient } from '@clickhouse/client';
import {
  ContextRequestError,
  examplesRequestSchema,
  failuresRequestSchema,
  predictRequestSchema,
  searchRequestSchema,
  toolsRequestSchema,
} from '../../src/context/context-api.ts';
import { EmbeddingEndpointError } from '../../src/trajectories/embedding-client.ts';
import { describeIssue } from '../../src/trajectories/filters.ts';
import { HttpError } from '../http/http-error.ts';
import { requireJsonBody } from '../http/read-body.ts';
import type { RequestContext, Router } from '../http/router.ts';
import { sendJson } from '../http/send.ts';
import { parseQuery } from './parse-query.ts';
import { gatedContextServices, type GatedContextOptions } from './gated-context-service.ts';

/** A conversation of `maxPredictMessages` long messages fits easily; more is not a decision point, it is a dump. */
export const maxPredictBodyBytes = 1024 * 1024;

export type ContextRouteOptions = GatedContextOptions;

/** The service's own errors as HTTP answers: bad input 400, a failing embeddings endpoint 502 (it names the URL). */
async function answer(context: RequestContext, work: () => Promise<unknown>): Promise<void> {
  try {
    sendJson(context.response, 200, await work());
  } catch (error) {
    if (error instanceof ContextRequestError) throw new HttpError(400, error.message);
    if (error instanceof EmbeddingEndpointError) throw new HttpError(502, error.message);
    throw error;
  }
}

function readJsonBody(context: RequestContext): Promise<unknown> {
  return requireJsonBody(context.request, maxPredictBodyBytes);
}

export function addContextRoutes(router: Router, client: ClickHouseClient, options: ContextRouteOptions = {}): void {
  const services = gatedContextServices(client, options);
  const serviceFor = (context: RequestContext) => services(context.tenant);

  router.add('GET', '/v1/context/search', (context) =>
    answer(context, () => serviceFor(context).search(parseQuery(searchRequestSchema, context.url))),
  );
  router.add('GET', '/v1/context/examples', (context) =>
    answer(context, () => serviceFor(context).examples(parseQuery(examplesRequestSchema, context.url))),
  );
  router.add('GET', '/v1/context/failures', (context) => {
    const request = parseQuery(failuresRequestSchema, context.url);
    return answer(context, () => serviceFor(context).failures(request));
  });
  router.add('GET', '/v1/context/tools', (context) => {
    const request = parseQuery(toolsRequestSchema, context.url);
    return answer(context, () => serviceFor(context).tools(request));
  });
  router.add('POST', '/v1/context/predict', async (context) => {
    const parsed = predictRequestSchema.safeParse(await readJsonBody(context));
    if (!parsed.success) throw new HttpError(400, describeIssue(parsed.error));
    const request = parsed.data;
    return answer(context, () => serviceFor(context).predict(request));
  });
}
