/**
 * The Model Context Protocol on the receiver's HTTP port: `POST /mcp`, streamable HTTP in stateless mode. The
 * router authenticates the bearer token like any API route (and applies the browser guards: known Host names, JSON
 * bodies only), then each request gets its own McpServer bound to that tenant's context service and a transport
 * without sessions, so no state outlives a request and one tenant's server never answers another. GET (a
 * server-to-client stream) and DELETE (ending a session) have nothing to serve without sessions: the router
 * answers 405 with `Allow: POST`, as the protocol asks of stateless servers.
 */
import type { ClickHouseClient } from '@clickhouse/client';
import { StreamableHTTPServerTransport } from '@modelcontextprotocol/sdk/server/streamableHttp.js';
import { parseJsonText } from '../../src/conventions/parse-json-text.ts';
import { StoreError } from '../../src/store/store-error.ts';
import { EmbeddingEndpointError } from '../../src/trajectories/embedding-client.ts';
import { gatedContextServices, type GatedContextOptions } from '../api/gated-context-service.ts';
import { HttpError, type ErrorRenderer } from '../http/http-error.ts';
import { requireBody } from '../http/read-body.ts';
import type { Router } from '../http/router.ts';
import { createContextMcpServer } from './context-mcp-server.ts';

/** A batch of tool calls with a predict conversation each fits; the HTTP predict route takes the same. */
export const maxMcpBodyBytes = 1024 * 1024;

/** Errors before the MCP transport sees the request (401, 413, bad JSON) in JSON-RPC's shape, which MCP clients read. */
const renderJsonRpcError: ErrorRenderer = (error) => ({
  contentType: 'application/json',
  body: JSON.stringify({ jsonrpc: '2.0', error: { code: -32000, message: error.message }, id: null }),
});

export interface McpRouteOptions extends GatedContextOptions {
  /** Where failures on the receiver's side go; the MCP client gets a stable message instead of the store's text. */
  onError?: (error: unknown) => void;
}

export function addMcpRoute(router: Router, client: ClickHouseClient, options: McpRouteOptions = {}): void {
  const { onError, ...serviceOptions } = options;
  const services = gatedContextServices(client, serviceOptions);
  const describeFailure = (error: unknown): string => {
    if (error instanceof EmbeddingEndpointError) return error.message;
    // The heavy-read gate's full queue: a message that says to retry, not an internal error.
    if (error instanceof HttpError && error.status === 503) return error.message;
    onError?.(error);
    if (error instanceof StoreError && error.kind === 'unavailable') return 'the store is unavailable; retry later';
    return 'internal error; the receiver log has the details';
  };

  router.add(
    'POST',
    '/mcp',
    async ({ request, response, tenant }) => {
      const text = (await requireBody(request, maxMcpBodyBytes)).toString('utf8');
      let message: unknown;
      try {
        message = parseJsonText(text);
      } catch {
        throw new HttpError(400, 'body: not valid JSON (send a JSON-RPC message)');
      }
      const server = createContextMcpServer(services(tenant), {
        describeFailure,
      });
      const transport = new StreamableHTTPServerTransport({ sessionIdGenerator: undefined, enableJsonResponse: true });
      response.on('close', () => {
        void transport.close();
        void server.close();
      });
      await server.connect(transport);
      await transport.handleRequest(request, response, message);
    },
    { renderError: renderJsonRpcError },
  );
}
