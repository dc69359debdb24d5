/**
 * Sorted listing (listTrajectories with sort and order, GET /v1/trajectories?sort=...&order=...): paging with a
 * small limit through every trajectory gives exactly the order of the documented rule, worked out here in
 * TypeScript over the rows the test stored (the chosen column in the chosen direction, NULLs last both ways, ties
 * newest first then id descending), with ties, NULL rewards, doubles that print with 17 digits, superseded versions
 * and another tenant's rows in the table; a cursor belongs to the order it was made for.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TrajectorySummary } from '../../src/model/trajectory.ts';
import { openMigratedStore } from '../../src/store/migrate.ts';
import type { Store } from '../../src/store/client.ts';
import { InvalidCursorError } from '../../src/trajectories/cursor.ts';
import type { TrajectoryFilters } from '../../src/trajectories/filters.ts';
import { trajectorySortSchema, type SortOrder, type TrajectorySort } from '../../src/trajectories/list-order.ts';
import { listTrajectories } from '../../src/trajectories/read-trajectories.ts';
import { temporaryDirectory } from '../helpers/test-receiver.ts';

const tenant = 'sorting';
let store: Store;

interface StoredSummary {
  id: string;
  start_ns: bigint;
  duration_ms: number;
  final_reward: number | null;
  turn_count: number;
  tool_call_count: number;
  error_count: number;
  input_tokens: number;
  output_tokens: number;
  agent_name: string;
}

// Few distinct values, so most sort values tie; rewards that are not short decimals, so the cursor's key must
// round-trip exactly; input/output splits whose totals tie.
const rewards = [null, 0.1 + 0.2, 1 / 3, -0.5, 0, 1e-300, 1, 2 / 3, -1 / 7];
const durations = [0, 1.5, 1234.5678, 1 / 3, 99.999999999];
const base = 1_700_000_000_000_000_000n;

const stored: StoredSummary[] = Array.from({ length: 67 }, (_, n) => ({
  // Ids that do not sort like n, and starts shared by three trajectories each.
  id: `${((n * 37) % 67).toString(16).padStart(2, '0')}${'ab'.repeat(15)}-${n.toString(16).padStart(16, '0')}`,
  start_ns: base + BigInt(Math.floor(n / 3)) * 1_000_000_007n,
  duration_ms: durations[n % durations.length]!,
  final_reward: rewards[(n * 5) % rewards.length]!,
  turn_count: n % 4,
  tool_call_count: (n * 7) % 3,
  error_count: n % 7 === 0 ? 1 : 0,
  input_tokens: n % 2 === 0 ? 100 : 50,
  output_tokens: n % 2 === 0 ? 50 : (n % 3) * 50,
  agent_name: n % 2 === 0 ? 'even' : 'odd',
}));

function row(summary: StoredSummary, version: number, rowTenant = tenant) {
  return {
    tenant: rowTenant,
    start_ns: summary.start_ns.toString(),
    id: summary.id,
    trace_id: summary.id.slice(0, 32),
    agent_name: summary.agent_name,
    end_ns: (summary.start_ns + 1_000_000n).toString(),
    duration_ms: summary.duration_ms,
    turn_count: summary.turn_count,
    tool_call_count: summary.tool_call_count,
    error_count: summary.error_count,
    input_tokens: summary.input_tokens,
    output_tokens: summary.output_tokens,
    final_reward: summary.final_reward,
    outcome: 'unknown',
    has_root: 1,
    last_ingested_ms: 0,
    version,
    is_deleted: 0,
  };
}

beforeAll(async () => {
  store = await openMigratedStore({ dataDir: temporaryDirectory() });
  const insert = (values: unknown[]) =>
    store.client.insert({ table: 'trajectory_summaries', values, format: 'JSONEachRow' });
  // An older version of every third summary with other values (FINAL must pick the latest), in its own part.
  await insert(
    stored
      .filter((_, n) => n % 3 === 0)
      .map((summary) => row({ ...summary, final_reward: 1000, duration_ms: 1e9, turn_count: 99 }, 1)),
  );
  await insert(stored.slice(0, 30).map((summary) => row(summary, 2)));
  await insert(stored.slice(30).map((summary) => row(summary, 2)));
  // Another tenant's trajectories with extreme values, which no page of this tenant may show.
  await insert(
    stored
      .slice(0, 5)
      .map((summary) => row({ ...summary, id: `x${summary.id.slice(1)}`, final_reward: 1e6 }, 2, 'other')),
  );
  // Tags for the annotation-filter path (the inner query does not stop at the page there).
  await store.client.insert({
    table: 'trajectory_annotations',
    values: stored
      .filter((_, n) => n % 4 !== 1)
      .map((summary) => ({ tenant, trajectory_id: summary.id, trace_id: summary.id.slice(0, 32), tags: ['kept'] })),
    format: 'JSONEachRow',
  });
});
afterAll(async () => {
  await store?.close();
});

function sortValue(summary: StoredSummary, sort: TrajectorySort): bigint | number | null {
  switch (sort) {
    case 'start_time':
      return summary.start_ns;
    case 'total_tokens':
      return summary.input_tokens + summary.output_tokens;
    default:
      return summary[sort];
  }
}

const compare = (a: bigint | number | string, b: bigint | number | string) => (a < b ? -1 : a > b ? 1 : 0);

/** The documented order: the column in the direction asked, NULLs last either way, then start desc, id desc. */
function expectedOrder(summaries: StoredSummary[], sort: TrajectorySort, order: SortOrder): string[] {
  return [...summaries]
    .sort((a, b) => {
      const [left, right] = [sortValue(a, sort), sortValue(b, sort)];
      if (left === null || right === null) {
        if (left !== right) return left === null ? 1 : -1;
      } else {
        const byValue = order === 'asc' ? compare(left, right) : compare(right, left);
        if (byValue !== 0) return byValue;
      }
      return compare(b.start_ns, a.start_ns) || compare(b.id, a.id);
    })
    .map((summary) => summary.id);
}

/** Every page from the first, `limit` at a time; fails if the pages do not end. */
async function pageThrough(
  page: { sort?: TrajectorySort; order?: SortOrder; limit: number },
  filters: TrajectoryFilters = {},
): Promise<TrajectorySummary[]> {
  const listed: TrajectorySummary[] = [];
  let cursor: string | undefined;
  for (let pages = 0; pages <= stored.length; pages++) {
    const result = await listTrajectories(store.client, tenant, filters, { ...page, cursor });
    expect(result.trajectories.length).toBeLessThanOrEqual(page.limit);
    listed.push(...result.trajectories);
    if (result.next_cursor === null) return listed;
    cursor = result.next_cursor;
  }
  throw new Error('the pages did not end');
}

const orders = trajectorySortSchema.options.flatMap((sort) =>
  (['desc', 'asc'] as const).map((order) => ({ sort, order })),
);

describe('listTrajectories sorted by a column', () => {
  it.each(orders)('pages through every trajectory by $sort $order in the documented order', async ({ sort, order }) => {
    const listed = await pageThrough({ sort, order, limit: 7 });
    expect(listed.map((summary) => summary.id)).toEqual(expectedOrder(stored, sort, order));
  });

  it('lists the latest version of each summary, with the values stored', async () => {
    const listed = await pageThrough({ sort: 'final_reward', order: 'desc', limit: 50 });
    const byId = new Map(stored.map((summary) => [summary.id, summary]));
    for (const summary of listed) {
      const expected = byId.get(summary.id)!;
      expect(summary.final_reward).toBe(expected.final_reward);
      expect(summary.duration_ms).toBe(expected.duration_ms);
      expect(Object.keys(summary)).not.toContain('sort_key');
    }
    // NULL rewards last, ascending too.
    const ascending = await pageThrough({ sort: 'final_reward', order: 'asc', limit: 50 });
    const nulls = stored.filter((summary) => summary.final_reward === null).length;
    expect(nulls).toBeGreaterThan(0);
    expect(ascending.slice(-nulls).every((summary) => summary.final_reward === null)).toBe(true);
    expect(ascending[0]!.final_reward).toBe(-0.5);
  });

  it('keeps the default order: newest first, ties by id descending', async () => {
    const expected = expectedOrder(stored, 'start_time', 'desc');
    expect((await pageThrough({ limit: 5 })).map((summary) => summary.id)).toEqual(expected);
    const first = await listTrajectories(store.client, tenant, {}, { limit: 1000 });
    expect(first.trajectories.map((summary) => summary.id)).toEqual(expected);
    expect(first.next_cursor).toBeNull();
  });

  it('sorts the filtered list, also when an annotation filter reads past the page', async () => {
    const even = stored.filter((summary) => summary.agent_name === 'even');
    const evenListed = await pageThrough({ sort: 'total_tokens', order: 'asc', limit: 4 }, { agent: 'even' });
    expect(evenListed.map((summary) => summary.id)).toEqual(expectedOrder(even, 'total_tokens', 'asc'));
    const kept = stored.filter((_, n) => n % 4 !== 1);
    const keptListed = await pageThrough({ sort: 'final_reward', order: 'asc', limit: 6 }, { tag: 'kept' });
    expect(keptListed.map((summary) => summary.id)).toEqual(expectedOrder(kept, 'final_reward', 'asc'));
  });

  it('refuses a cursor made for another sort or order, naming both', async () => {
    const page = await listTrajectories(store.client, tenant, {}, { limit: 3, sort: 'final_reward', order: 'asc' });
    const cursor = page.next_cursor!;
    for (const other of [{ sort: 'final_reward', order: 'desc' }, { sort: 'duration_ms', order: 'asc' }, {}] as const) {
      const attempt = listTrajectories(store.client, tenant, {}, { limit: 3, cursor, ...other });
      await expect(attempt).rejects.toBeInstanceOf(InvalidCursorError);
      await expect(attempt).rejects.toThrow(/^cursor: made for sort=final_reward&order=asc, not sort=/);
    }
    const tampered = Buffer.from(
      JSON.stringify({ sort: 'start_time', order: 'desc', key: 5, start: '1', id: 'a' }),
    ).toString('base64url');
    await expect(listTrajectories(store.client, tenant, {}, { limit: 3, cursor: tampered })).rejects.toThrow(
      'cursor: not a cursor this API returned',
    );
  });

  it('still takes cursors from before sortable lists (start and id) for the default order', async () => {
    const expected = expectedOrder(stored, 'start_time', 'desc');
    const last = stored.find((summary) => summary.id === expected[9])!;
    const legacy = Buffer.from(JSON.stringify({ start: last.start_ns.toString(), id: last.id })).toString('base64url');
    const next = await listTrajectories(store.client, tenant, {}, { limit: 10, cursor: legacy });
    expect(next.trajectories.map((summary) => summary.id)).toEqual(expected.slice(10, 20));
    await expect(
      listTrajectories(store.client, tenant, {}, { limit: 10, cursor: legacy, sort: 'turn_count' }),
    ).rejects.toThrow(/made for sort=start_time&order=desc, not sort=turn_count&order=desc/);
  });
});
