/**
 * The context service answered from this process's store: what the receiver's HTTP routes and its `/mcp` tools
 * call, one tenant per service.
 */
import type { ClickHouseClient } from '@clickhouse/client';
import type { SearchOptions } from '../trajectories/search.ts';
import type { ContextService } from './context-api.ts';
import { searchContext } from './search-context.ts';

/** An operation whose module has not landed in this build yet: a failure on the answering side, not bad input. */
function notAvailable(operation: string): () => Promise<never> {
  return () => Promise.reject(new Error(`context ${operation} is not available in this build of the receiver`));
}

export function createLocalContextService(
  client: ClickHouseClient,
  tenant: string,
  options: SearchOptions = {},
): ContextService {
  return {
    search: (request) => searchContext(client, tenant, request, options),
    examples: notAvailable('examples'),
    failures: notAvailable('failures'),
    tools: notAvailable('tools'),
    predict: notAvailable('predict'),
  };
}
