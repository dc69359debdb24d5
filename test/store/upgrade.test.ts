/**
 * A store created by the previous release (0.1.0: views inside numbered migrations, no checksums) is opened by this
 * build: it migrates in place, its views become the current definitions (even one an older build left stale), a
 * rule a user tuned survives, and the views and the API agree on trajectories stored after the upgrade.
 * The fixture is the release's migration files, applied the way that release applied them.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Receiver } from '../../collector/receiver.ts';
import { openStore } from '../../src/store/client.ts';
import { listMigrations } from '../../src/store/migrate.ts';
import { renderDeployment, splitStatements } from '../../src/store/sql-files.ts';
import { getTrajectory } from '../../src/trajectories/read-trajectories.ts';
import { queryRows, startTestReceiver, temporaryDirectory } from '../helpers/test-receiver.ts';
import { expectAgree, fromViewsMany, loadGoldenTraces, type GoldenContext } from '../trajectories/views-and-api.ts';

const releaseMigrations = join(import.meta.dirname, 'fixtures', 'schema-0.1.0');
const dataDir = temporaryDirectory();
const settings = { quietSeconds: 1, gamma: 0.9, stitchWindowSeconds: 1 };
let receiver: Receiver;

/** What release 0.1.0's migrate() did: a checksum-less record table, each file applied once and recorded. */
async function createReleaseStore(): Promise<void> {
  const store = await openStore({ dataDir });
  try {
    await store.client.command({
      query: `CREATE TABLE IF NOT EXISTS schema_migrations
              (version UInt32, name String, applied_at DateTime DEFAULT now())
              ENGINE = ReplacingMergeTree ORDER BY version`,
    });
    for (const file of readdirSync(releaseMigrations)
      .filter((name) => name.endsWith('.sql'))
      .sort()) {
      const sql = renderDeployment(readFileSync(join(releaseMigrations, file), 'utf8'), {});
      for (const statement of splitStatements(sql)) await store.client.command({ query: statement });
      await store.client.insert({
        table: 'schema_migrations',
        values: [{ version: Number(file.slice(0, 4)), name: file.slice(5, -4) }],
        format: 'JSONEachRow',
      });
    }
    // What the issue found in the field: a data directory that kept an older build's view.
    await store.client.command({ query: 'CREATE OR REPLACE VIEW turns AS SELECT 1 AS stale_rule' });
    // A rule a user tuned; the upgrade must not reset it to the default.
    await store.client.insert({
      table: 'air_rules',
      values: [{ rule: 'tool_failed', reward: -0.5, description: 'tuned' }],
      format: 'JSONEachRow',
    });
  } finally {
    await store.close();
  }
}

beforeAll(async () => {
  await createReleaseStore();
  receiver = await startTestReceiver({ ...settings, dataDir });
});
afterAll(async () => {
  await receiver?.close();
});

describe('upgrading a store created by release 0.1.0', () => {
  it('adopts the release records with this build’s checksums and applies nothing twice', async () => {
    const recorded = await queryRows<{ version: number; checksum: string }>(
      receiver,
      'SELECT version, checksum FROM schema_migrations FINAL ORDER BY version',
    );
    expect(recorded).toEqual(listMigrations().map(({ version, checksum }) => ({ version, checksum })));
  });

  it('replaces the views and materialized views with the current definitions', async () => {
    const views = await queryRows<{ name: string; create_table_query: string }>(
      receiver,
      "SELECT name, create_table_query FROM system.tables WHERE database = currentDatabase() AND engine IN ('View', 'MaterializedView') ORDER BY name",
    );
    expect(views.map((view) => view.name)).toEqual([
      'air_rewards',
      'analytics_model_calls',
      'analytics_tool_calls',
      'analytics_trajectories',
      'credit',
      'dirty_traces_events_mv',
      'dirty_traces_feedback_mv',
      'dirty_traces_spans_mv',
      'resolved_spans',
      'rewards',
      'rollout_traces_mv',
      'trace_index_mv',
      'trace_words_mv',
      'trajectories',
      'trajectory_spans',
      'turns',
    ]);
    expect(views.find((view) => view.name === 'turns')!.create_table_query).not.toContain('stale_rule');
  });

  it('keeps the AIR rule a user tuned, seeds each default once, and adds the rules this build defines', async () => {
    const rules = await queryRows<{ rule: string; reward: number }>(
      receiver,
      'SELECT rule, toFloat64(argMax(reward, updated_at)) AS reward FROM air_rules GROUP BY rule ORDER BY rule',
    );
    expect(rules).toEqual([
      { rule: 'llm_failed', reward: -0.1 },
      { rule: 'tool_answered_status_unknown', reward: 0.1 },
      { rule: 'tool_failed', reward: -0.5 },
      { rule: 'tool_succeeded', reward: 0.1 },
      { rule: 'tool_unanswered', reward: -0.1 },
    ]);
    const seeded = await queryRows<{ seeded: string }>(
      receiver,
      'SELECT count() AS seeded FROM air_rules WHERE updated_at = toDateTime64(0, 3)',
    );
    // The release seeded four; this build adds only the rule it defines anew.
    expect(Number(seeded[0]!.seeded)).toBe(5);
  });

  it('serves the same trajectories through the views and the API', async () => {
    const context: GoldenContext = { receiver, settings, base: Date.now() - 1_800_000, traceIds: [] };
    const ids = await loadGoldenTraces(context);
    expect(ids).toHaveLength(7);
    const views = await fromViewsMany(context, ids);
    for (const id of ids) {
      expect(views.has(id), id).toBe(true);
      const { tools: _tools, ...expected } = views.get(id)!;
      expectAgree(await getTrajectory(receiver.store.client, 'default', id, settings), expected, id);
    }
    // The tuned rule is what both read: the golden run's failed tool call is worth -0.5.
    const golden = await getTrajectory(
      receiver.store.client,
      'default',
      (await Promise.all(ids.map((id) => getTrajectory(receiver.store.client, 'default', id, settings)))).find(
        (trajectory) => trajectory?.agent_name === 'solver',
      )!.id,
      settings,
    );
    expect(
      golden?.turns.flatMap((turn) => turn.tool_calls).find((execution) => execution.status === 'error')?.air_reward,
    ).toBe(-0.5);
    // Seven view queries, each seconds to plan and run on the embedded engine, more on a loaded machine.
  }, 180_000);
});
