/**
 * The context service answered from this process's store: what the receiver's HTTP routes and its `/mcp` tools
 * call, one tenant per service.
 */
import type { ClickHouseClient } from '@clickhouse/client';
import type { SearchOptions } from '../trajectories/search.ts';
import type { ContextService } from './context-api.ts';
import { findExamples } from './examples.ts';
import { analyzeFailures } from './failures.ts';
import { predictOutcome } from './predict.ts';
import { searchContext } from './search-context.ts';
import { recommendTools } from './tools.ts';

export function createLocalContextService(
  client: ClickHouseClient,
  tenant: string,
  options: SearchOptions = {},
): ContextService {
  return {
    search: (request) => searchContext(client, tenant, request, options),
    examples: (request) => findExamples(client, tenant, request, options),
    failures: (request) => analyzeFailures(client, tenant, request, options),
    tools: (request) => recommendTools(client, tenant, request, options),
    predict: (request) => predictOutcome(client, tenant, request, options),
  };
}
