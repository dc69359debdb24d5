import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { queryAsync } from 'chdb';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { defaultFormatOptions } from '../../src/exporters/export-format.ts';
import { getExportFormat } from '../../src/exporters/formats/index.ts';
import { parquetJsonColumnsFor, parquetStructureFor } from '../../src/exporters/run-export.ts';
import { inMemoryParquetConverter } from '../../src/exporters/writers/parquet-converter.ts';
import {
  jsonColumnPaths,
  parquetColumns,
  parquetStructure,
  storedAsJsonObject,
  storedAsJsonText,
  withParquetFieldOrder,
} from '../../src/exporters/writers/parquet-structure.ts';
import { temporaryDirectory } from '../helpers/test-receiver.ts';

// The Parquet layout consumers load (struct fields, column types). A record schema change that changes it
// fails here until this table is updated with it, so the change is a decision, not an accident.
const toolCall = 'Tuple(id String, type String, function Tuple(name String, arguments String))';
const openAIMessage = `Tuple(role String, content Nullable(String), tool_calls Array(${toolCall}), tool_call_id Nullable(String), name Nullable(String))`;
const openAISftMessage = openAIMessage.replace(/\)$/, ', weight Nullable(UInt8))');
const openAIAssistantMessage = `Tuple(role String, content Nullable(String), tool_calls Array(${toolCall}), name Nullable(String))`;
// TRL messages and tool definitions are one JSON value each (declared JSON in the file, see jsonColumns below).
const trlMessage = 'String';

const pinned: Record<string, string> = {
  art: 'trajectories String, metadata String, exceptions String',
  'agent-lightning':
    'prompt Tuple(token_ids Array(Int64), raw_content String, image_urls Array(String)), ' +
    'response Tuple(token_ids Array(Int64), raw_content String, logprobs Array(Float64)), reward Float64, metadata String',
  'openai-sft': `messages Array(${openAISftMessage}), tools String, parallel_tool_calls Bool`,
  'openai-dpo': `input Tuple(messages Array(${openAIMessage}), tools String, parallel_tool_calls Bool), preferred_output Array(${openAIAssistantMessage}), non_preferred_output Array(${openAIAssistantMessage})`,
  'openai-rft': `messages Array(${openAIMessage}), tools String, ground_truth String`,
  fireworks: `messages Array(${openAIMessage}), tools String, ground_truth String`,
  'trl-sft': `messages Array(${trlMessage}), tools Array(String)`,
  'trl-dpo': `prompt Array(${trlMessage}), chosen Array(${trlMessage}), rejected Array(${trlMessage}), tools Array(String)`,
  'trl-kto': `prompt Array(${trlMessage}), completion Array(${trlMessage}), label Bool, tools Array(String)`,
  'trl-grpo': `prompt Array(${trlMessage}), tools Array(String), reward Float64, advantage Nullable(Float64), task_id String, trajectory_id String`,
};

// The leaves declared JSON in the Parquet footer: every TRL message and tool definition, nothing elsewhere.
const jsonColumns: Record<string, string[]> = {
  art: [],
  'agent-lightning': [],
  'openai-sft': [],
  'openai-dpo': [],
  'openai-rft': [],
  fireworks: [],
  'trl-sft': ['messages.list.element', 'tools.list.element'],
  'trl-dpo': ['prompt.list.element', 'chosen.list.element', 'rejected.list.element', 'tools.list.element'],
  'trl-kto': ['prompt.list.element', 'completion.list.element', 'tools.list.element'],
  'trl-grpo': ['prompt.list.element', 'tools.list.element'],
};

describe('Parquet structure of every format', () => {
  it.each(Object.keys(pinned))('%s: derived from its record schema, as pinned', (name) => {
    expect(parquetStructureFor(getExportFormat(name), defaultFormatOptions)).toBe(pinned[name]);
    expect(parquetJsonColumnsFor(getExportFormat(name), defaultFormatOptions)).toEqual(jsonColumns[name]);
  });

  it('RFT reference fields become String columns after the declared ones, quoted when they are not identifiers', () => {
    const options = {
      ...defaultFormatOptions,
      referenceFields: { ground_truth: 'final_answer', 'expected answer': 'task' },
    };
    expect(parquetStructureFor(getExportFormat('openai-rft'), options)).toBe(
      `messages Array(${openAIMessage}), tools String, ground_truth String, \`expected answer\` String`,
    );
  });
});

describe('deriving a Parquet structure from a zod schema', () => {
  it('maps each field to a column in schema order: objects to tuples, arrays, optional scalars to Nullable', () => {
    const schema = z.object({
      name: z.string(),
      count: z.number().int().optional(),
      score: z.number().nullable(),
      flags: z.array(z.boolean()),
      nested: z.object({ label: z.enum(['a', 'b']), weight: z.union([z.literal(0), z.literal(1)]).optional() }),
    });
    expect(parquetStructure(schema)).toBe(
      'name String, count Nullable(Int64), score Nullable(Float64), flags Array(Bool), nested Tuple(label String, weight Nullable(UInt8))',
    );
  });

  it('a field added to the schema is a new column without any other change', () => {
    const before = z.object({ prompt: z.string() });
    const after = before.extend({ reward: z.number() });
    expect(parquetStructure(before)).toBe('prompt String');
    expect(parquetStructure(after)).toBe('prompt String, reward Float64');
  });

  it('keeps free-form values as JSON text: records, unknown, loose objects, text-or-parts unions and marked schemas', () => {
    const schema = z.object({
      parameters: z.record(z.string(), z.unknown()),
      anything: z.unknown(),
      part: z.looseObject({ type: z.string() }),
      content: z.union([z.string(), z.array(z.looseObject({ type: z.string() }))]),
      metadata: storedAsJsonText(z.object({ turns: z.number() })),
    });
    expect(parquetStructure(schema)).toBe(
      'parameters String, anything String, part String, content String, metadata String',
    );
  });

  it('stores marked objects as JSON text and names their leaves as Parquet paths: list elements and tuple fields', () => {
    const message = storedAsJsonObject(z.object({ role: z.string(), arguments: z.record(z.string(), z.unknown()) }));
    const schema = z.object({
      messages: z.array(message),
      step: z.object({ request: message, note: z.string() }),
      raw: storedAsJsonText(z.array(z.string())),
    });
    expect(parquetStructure(schema)).toBe(
      'messages Array(String), step Tuple(request String, note String), raw String',
    );
    expect(jsonColumnPaths(parquetColumns(schema))).toEqual(['messages.list.element', 'step.request']);
  });

  it('merges the variants of a discriminated union into one tuple; a field some variant lacks is nullable', () => {
    const message = z.discriminatedUnion('role', [
      z.object({ role: z.literal('user'), content: z.string() }),
      z.object({ role: z.literal('assistant'), content: z.string().nullable(), calls: z.array(z.string()).optional() }),
      z.object({ role: z.literal('tool'), content: z.string(), call_id: z.string() }),
    ]);
    expect(parquetStructure(z.object({ messages: z.array(message) }))).toBe(
      'messages Array(Tuple(role String, content Nullable(String), calls Array(String), call_id Nullable(String)))',
    );
  });

  it('orders a merged union as its hint says, and fails when a variant gains a field the order does not list', () => {
    const variants = [
      z.object({ kind: z.literal('a'), first: z.string() }),
      z.object({ kind: z.literal('b'), second: z.string() }),
    ] as const;
    const ordered = withParquetFieldOrder(z.discriminatedUnion('kind', [...variants]), ['kind', 'second', 'first']);
    expect(parquetStructure(z.object({ item: ordered }))).toBe(
      'item Tuple(kind String, second Nullable(String), first Nullable(String))',
    );
    const grown = withParquetFieldOrder(
      z.discriminatedUnion('kind', [variants[0], variants[1].extend({ third: z.number() })]),
      ['kind', 'second', 'first'],
    );
    expect(() => parquetStructure(z.object({ item: grown }))).toThrow(
      "item: the Parquet field order must list exactly the union's fields (missing: third; not fields: none)",
    );
  });

  it('refuses what has no Parquet type, naming the field', () => {
    expect(() => parquetStructure(z.object({ at: z.object({ when: z.date() }) }))).toThrow(
      'at.when: no Parquet type for a zod date',
    );
    expect(() => parquetStructure(z.object({ value: z.union([z.number(), z.boolean()]) }))).toThrow(
      'value: no Parquet type for a union of Float64 and Bool',
    );
    expect(() => parquetStructure(z.object({ never: z.array(z.never()) }))).toThrow(
      'never[]: no Parquet type for a zod never',
    );
  });

  it('types extra columns by the catchall and refuses them without one or when they shadow a field', () => {
    const loose = z.object({ messages: z.array(z.string()) }).catchall(z.union([z.string(), z.number()]));
    expect(parquetStructure(loose, ['ground_truth'])).toBe('messages Array(String), ground_truth String');
    expect(() => parquetStructure(loose, ['messages'])).toThrow(
      'extra column "messages" is already a field of the record',
    );
    expect(() => parquetStructure(z.object({ messages: z.array(z.string()) }), ['ground_truth'])).toThrow(
      'need a record schema with a catchall',
    );
  });

  it('ClickHouse converts records under a quoted column name and reads the value back', async () => {
    const directory = temporaryDirectory();
    const jsonl = join(directory, 'rows.jsonl');
    const parquet = join(directory, 'rows.parquet');
    writeFileSync(jsonl, `${JSON.stringify({ messages: ['hi'], 'expected `answer`': 42 })}\n`);
    const loose = z.object({ messages: z.array(z.string()) }).catchall(z.union([z.string(), z.number()]));
    await inMemoryParquetConverter().convert(jsonl, parquet, parquetStructure(loose, ['expected `answer`']));
    const rows = (await queryAsync(`SELECT * FROM file('${parquet}', Parquet)`, { format: 'JSONEachRow' }))
      .text()
      .trim();
    expect(JSON.parse(rows)).toEqual({ messages: ['hi'], 'expected `answer`': '42' });
  });
});
