/**
 * The word index trajectory search finds its candidates through (migration 0014, trace_words_mv): a store that held
 * traces before the migration gets their words on upgrade, traces stored afterwards get theirs as spans arrive, the
 * words are the ones the search query computes (stop words included, stemmed), the index-bounded search ranks like
 * the full scan, and a query the index cannot answer (a misspelt word) falls back to scoring every trace.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openStore, type Store } from '../../src/store/client.ts';
import { listMigrations, migrate } from '../../src/store/migrate.ts';
import { loadSql, renderDeployment, splitStatements } from '../../src/store/sql-files.ts';
import { searchCandidates } from '../../src/trajectories/search.ts';
import { temporaryDirectory } from '../helpers/test-receiver.ts';

const tenant = 'words';
let store: Store;

async function rows<T>(query: string, params: Record<string, unknown> = {}): Promise<T[]> {
  return (await store.client.query({ query, query_params: params, format: 'JSONEachRow' })).json<T>();
}

async function runStatements(sql: string): Promise<void> {
  for (const statement of splitStatements(renderDeployment(sql, {}))) await store.client.command({ query: statement });
}

/** One root span carrying a task description, or a chat span carrying a first user message. */
async function insertTrace(traceId: string, texts: { task?: string; user?: string }): Promise<void> {
  const span = (number: string, name: string, kind: string, text: Record<string, string>) => ({
    tenant,
    trace_id: traceId,
    span_id: `${traceId.slice(0, 14)}${number}`,
    name,
    kind,
    ...text,
  });
  const values = [
    ...(texts.task === undefined ? [] : [span('01', 'invoke_agent', 'agent', { task: texts.task })]),
    ...(texts.user === undefined ? [] : [span('02', 'chat', 'llm', { first_user_text: texts.user })]),
  ];
  await store.client.insert({
    table: 'spans',
    values: values.map((row, index) => ({
      ...row,
      start_time_unix_nano: (1_700_000_000_000 + index) * 1_000_000,
      end_time_unix_nano: (1_700_000_000_500 + index) * 1_000_000,
    })),
    format: 'JSONEachRow',
  });
}

const wordsOf = async (traceId: string) =>
  (
    await rows<{ word: string }>(
      'SELECT DISTINCT word FROM trace_words WHERE tenant = {tenant:String} AND trace_id = {trace:String} ORDER BY word',
      { tenant, trace: traceId },
    )
  ).map((row) => row.word);

const traceId = (n: number) => n.toString(16).padStart(32, '0');

/** Full-scan and index-bounded candidates of the search query itself, to compare the two modes. */
async function candidates(q: string, bound: number, limit = 50): Promise<string[]> {
  const found = await rows<{ trace_id: string }>(loadSql('queries/trajectory-search.sql'), {
    tenant,
    q,
    limit,
    candidates: bound,
    stopwords: ['the', 'for', 'please'],
    trigram_weight: 0.35,
  });
  return found.map((row) => row.trace_id);
}

beforeAll(async () => {
  store = await openStore({ dataDir: temporaryDirectory() });
  // The store as the release before 0014 left it (earlier migrations and the view that fills trace_index), with
  // traces in it.
  await runStatements(loadSql('schema-migrations.sql'));
  const earlier = listMigrations().filter((migration) => migration.version < 14);
  for (const migration of earlier) await runStatements(loadSql(`migrations/${migration.file}`));
  await store.client.insert({
    table: 'schema_migrations',
    values: earlier.map(({ version, name, checksum }) => ({ version, name, checksum })),
    format: 'JSONEachRow',
  });
  await runStatements(loadSql('../trajectories/trace-index-mv.sql'));
  await insertTrace(traceId(1), { task: 'Booking the flights to Osaka', user: 'Please book flights to Osaka for me' });
  await insertTrace(traceId(2), { user: 'Summarise the quarterly sales report' });
}, 60_000);

afterAll(async () => {
  await store?.close();
});

describe('trace_words', () => {
  it('holds the words of traces stored before the migration once it runs', async () => {
    const tables = "SELECT name FROM system.tables WHERE database = currentDatabase() AND name = 'trace_words'";
    expect(await rows(tables)).toEqual([]);
    await migrate(store);
    // Lowercased, stemmed (booking -> book, flights -> flight), longer than two letters, stop words kept.
    expect(await wordsOf(traceId(1))).toEqual(['book', 'flight', 'for', 'osaka', 'please', 'the']);
    expect(await wordsOf(traceId(2))).toEqual(['quarterly', 'report', 'sal', 'summarise', 'the']);
  });

  it('indexes traces stored after the migration as their spans arrive, across inserts', async () => {
    await insertTrace(traceId(3), { task: 'Refund order D-4471' });
    await insertTrace(traceId(3), { user: 'The package arrived damaged' });
    // Digits count as letters of a word (splitByNonAlpha), as in the query.
    expect(await wordsOf(traceId(3))).toEqual(['4471', 'arriv', 'damag', 'order', 'package', 'refund', 'the']);
  });

  it('ranks candidates found through the index as the full scan does', async () => {
    for (let n = 10; n < 70; n++)
      await insertTrace(traceId(n), { task: `${n % 2 ? 'Book a flight' : 'Cancel the hotel'} for request ${n}` });
    for (const query of ['book flights for Osaka', 'cancel my hotel', 'refund the damaged order']) {
      const full = await candidates(query, 0, 10);
      const indexed = await candidates(query, 2000, 10);
      // The index leaves out only traces sharing no content word, which rank below every trace that shares one.
      expect(indexed.length, query).toBeGreaterThan(0);
      expect(indexed, query).toEqual(full.slice(0, indexed.length));
    }
    expect(await candidates('book flights for Osaka', 2000, 10)).toHaveLength(10);
    // A bound below the traces sharing a word scores only the ones sharing the most words.
    const bounded = await candidates('book flight osaka', 1, 10);
    expect(bounded).toEqual([traceId(1)]);
  });

  it('falls back to scoring every trace when the index finds fewer candidates than wanted', async () => {
    expect(await candidates('Bokking flihgts Osak', 2000, 5)).toEqual([]);
    const found = await searchCandidates(store.client, tenant, 'Bokking flihgts Osak', 5);
    expect(found[0]?.trace_id).toBe(traceId(1));
    expect(found).toHaveLength(5);
  });
});
