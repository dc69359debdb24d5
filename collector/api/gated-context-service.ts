/**
 * The context service of one tenant as the receiver serves it, over HTTP and over MCP alike: search and examples
 * answer at once, while failures, tools and predict (each reads up to thousands of assembled trajectories) take a
 * slot of the store's heavy-read gate, the one exports and large trace reads share. A full queue answers 503 with
 * Retry-After over HTTP and a "retry later" tool error over MCP, so neither door can run more of them at once.
 */
import type { ClickHouseClient } from '@clickhouse/client';
import type { ContextService } from '../../src/context/context-api.ts';
import { createLocalContextService } from '../../src/context/local-context-service.ts';
import type { SearchOptions } from '../../src/trajectories/search.ts';
import { heavyReadGateFor, resolveReadLimits, type ReadLimits } from './read-limits.ts';

export interface GatedContextOptions extends SearchOptions {
  readLimits?: Partial<ReadLimits> | undefined;
}

/** A factory of per-tenant services sharing one gate (the store's). */
export function gatedContextServices(
  client: ClickHouseClient,
  options: GatedContextOptions = {},
): (tenant: string) => ContextService {
  const { readLimits, ...searchOptions } = options;
  const gate = heavyReadGateFor(client, resolveReadLimits(readLimits));
  return (tenant) => {
    const local = createLocalContextService(client, tenant, searchOptions);
    return {
      ...local,
      failures: (request) => gate.run(() => local.failures(request)),
      tools: (request) => gate.run(() => local.tools(request)),
      predict: (request) => gate.run(() => local.predict(request)),
    };
  };
}
