/**
 * The span row type and the `spans` table cannot drift apart: the row's columns (a runtime list tied to the type)
 * are exactly the columns an insert can fill, the row builder fills every one of them, and a built row read back
 * through the trace and assembly readers (whose row types are derived from it) has the values it was built with.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { OtlpSpan } from '../../src/model/otlp.ts';
import type { Store } from '../../src/store/client.ts';
import { openMigratedStore } from '../../src/store/migrate.ts';
import { readTraceSpans } from '../../src/store/read-spans.ts';
import { spanColumns, spanColumnsFilledByStore, spanRow } from '../../src/store/span-row.ts';
import { readAssemblyInput } from '../../src/trajectories/read-assembly-input.ts';
import { temporaryDirectory } from '../helpers/test-receiver.ts';

let store: Store;

beforeAll(async () => {
  store = await openMigratedStore({ dataDir: temporaryDirectory() });
});
afterAll(async () => {
  await store?.close();
});

const traceId = '5b8efff798038103d269b633813fc60c';

const span: OtlpSpan = {
  resource: { attributes: { 'service.name': 'span-row-test' }, droppedAttributesCount: 0 },
  scope: { name: 'test-scope', version: '1.0.0', attributes: {} },
  traceId,
  spanId: 'eee19b7ec3c1b174',
  parentSpanId: '',
  traceState: 'vendor=1',
  flags: 1,
  name: 'chat gpt-test',
  kind: 'client',
  startTimeUnixNano: 1_700_000_000_123_456_789n,
  endTimeUnixNano: 1_700_000_001_123_456_789n,
  attributes: { 'gen_ai.operation.name': 'chat' },
  droppedAttributesCount: 0,
  events: [
    {
      timeUnixNano: 1_700_000_000_500_000_000n,
      name: 'gen_ai.evaluation.result',
      attributes: { 'gen_ai.evaluation.score.value': 0.5 },
      droppedAttributesCount: 0,
    },
  ],
  droppedEventsCount: 0,
  links: [],
  droppedLinksCount: 0,
  status: { code: 'ok', message: '' },
};

const row = spanRow('span-row-tenant', span, {
  kind: 'llm',
  convention: 'genai',
  operation: 'chat',
  provider: 'openai',
  model: 'gpt-test',
  input_tokens: 12,
  output_tokens: 3,
  input_messages: [{ role: 'user', content: 'What is the weather?' }],
  output_messages: [{ role: 'assistant', content: 'Sunny.' }],
  tool_definitions: [{ type: 'function', function: { name: 'weather', parameters: { type: 'object' } } }],
  conversation_id: 'conversation-1',
  rewards: [{ name: 'judge', value: 0.75 }],
});

describe('span row', () => {
  it('has exactly the insertable columns of the spans table (DESCRIBE, minus MATERIALIZED and ALIAS)', async () => {
    const result = await store.client.query({ query: 'DESCRIBE TABLE spans', format: 'JSONEachRow' });
    const columns = await result.json<{ name: string; default_type: string }>();
    const insertable = columns.filter(
      (column) => column.default_type !== 'MATERIALIZED' && column.default_type !== 'ALIAS',
    );
    expect([...spanColumns, ...spanColumnsFilledByStore].sort()).toEqual(
      insertable.map((column) => column.name).sort(),
    );
    // A column the row leaves out must have a DEFAULT, or inserts would store an empty value instead.
    const filledByStore = new Set<string>(spanColumnsFilledByStore);
    expect(insertable.filter((column) => filledByStore.has(column.name)).map((column) => column.default_type)).toEqual(
      spanColumnsFilledByStore.map(() => 'DEFAULT'),
    );
  });

  it('is built with every column of the row type and nothing else', () => {
    expect(Object.keys(row).sort()).toEqual([...spanColumns].sort());
  });

  it('reads back through the trace and assembly readers with the values it was built with', async () => {
    await store.insertJsonEachRow('spans', Buffer.from(JSON.stringify(row) + '\n'));

    const [stored] = await readTraceSpans(store.client, 'span-row-tenant', traceId);
    expect(stored).toMatchObject({
      span_id: row.span_id,
      kind: 'llm',
      span_kind: 'client',
      start_time_unix_nano: '1700000000123456789',
      service_name: 'span-row-test',
      input_tokens: 12,
      cache_read_tokens: null,
      input_messages: row.input_messages,
      tool_definitions: row.tool_definitions,
      rewards: [{ name: 'judge', value: 0.75 }],
      attributes: { 'gen_ai.operation.name': 'chat' },
    });

    const { spans } = await readAssemblyInput(store.client, 'span-row-tenant', [traceId], new Map());
    expect(spans).toHaveLength(1);
    expect(spans[0]).toMatchObject({
      kind: 'llm',
      status: 'ok',
      start: 1_700_000_000_123_456_789n,
      end: 1_700_000_001_123_456_789n,
      end_time_unix_nano: '1700000001123456789',
      input_tokens: 12,
      output_tokens: 3,
      input_messages: row.input_messages,
      output_messages: row.output_messages,
      conversation_id: 'conversation-1',
      rewards: [{ name: 'judge', value: 0.75 }],
      events: row.events,
    });
    expect(spans[0]!.ingested_ms).toBeGreaterThan(0);
  });
});
