/**
 * The store's client as every caller sees it: `@clickhouse/client`'s API, except that a failure of `query`,
 * `command`, `insert` or `exec` (and of reading a query's result) rejects with a `StoreError`, classified once
 * here (store-error.ts), whichever backend and whichever caller. So the HTTP API can tell "the store is down, retry"
 * (503) from a bug (500) without knowing ClickHouse's error shapes.
 */
import type { ClickHouseClient } from '@clickhouse/client';
import { toStoreError } from './store-error.ts';

const classifiedMethods = new Set(['query', 'command', 'insert', 'exec']);
const classifiedResultMethods = new Set(['json', 'text']);

async function classified<T>(run: () => Promise<T>): Promise<T> {
  try {
    return await run();
  } catch (error) {
    throw toStoreError(error);
  }
}

/** Wraps a result set so reading its rows classifies failures too (the answer can fail mid-stream). */
function classifyingResult<T extends object>(result: T): T {
  return new Proxy(result, {
    get(target, property, receiver) {
      const value: unknown = Reflect.get(target, property, receiver);
      if (typeof value !== 'function') return value;
      const method = value as (...args: unknown[]) => unknown;
      if (!classifiedResultMethods.has(String(property))) return method.bind(target);
      return (...args: unknown[]) => classified(() => Promise.resolve(method.apply(target, args)));
    },
  });
}

export function classifyingClient(client: ClickHouseClient): ClickHouseClient {
  return new Proxy(client, {
    get(target, property, receiver) {
      const value: unknown = Reflect.get(target, property, receiver);
      if (typeof value !== 'function') return value;
      const method = value as (...args: unknown[]) => unknown;
      if (!classifiedMethods.has(String(property))) return method.bind(target);
      return async (...args: unknown[]) => {
        const result = await classified(() => Promise.resolve(method.apply(target, args)));
        return property === 'query' && typeof result === 'object' && result !== null
          ? classifyingResult(result)
          : result;
      };
    },
  });
}
