/**
 * The TypeScript assembly re-implements a few ClickHouse JSON functions (src/trajectories/clickhouse-json.ts) so
 * the API reads a reward or a tool call exactly as the views do. This checks them against the engine itself on the
 * odd inputs clients send.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openStore, type Store } from '../../src/store/client.ts';
import { jsonFloat, jsonString, uint64OrZero } from '../../src/trajectories/clickhouse-json.ts';
import { temporaryDirectory } from '../helpers/test-receiver.ts';

let store: Store;
beforeAll(async () => {
  store = await openStore({ dataDir: temporaryDirectory() });
});
afterAll(async () => {
  await store?.close();
});

async function engine<T>(expression: string, value: string): Promise<T> {
  const result = await store.client.query({
    query: `SELECT ${expression} AS value`,
    query_params: { value },
    format: 'JSONEachRow',
    clickhouse_settings: { output_format_json_quote_64bit_integers: 1, output_format_json_quote_denormals: 1 },
  });
  const [row] = await result.json<{ value: T }>();
  return row!.value;
}

function sameFloat(actual: number, expected: number | string): boolean {
  const wanted =
    typeof expected === 'string'
      ? expected === 'nan'
        ? Number.NaN
        : expected === 'inf'
          ? Infinity
          : expected === '-inf'
            ? -Infinity
            : Number(expected)
      : expected;
  return Object.is(actual, wanted) || (Number.isNaN(actual) && Number.isNaN(wanted)) || actual === wanted;
}

describe('the ClickHouse JSON functions the assembly re-implements', () => {
  const scores = [
    '0.5',
    ' 0.5',
    '0.5 ',
    '0x1A',
    '+0.5',
    '-0.25',
    '.5',
    '5.',
    '1e-3',
    '1E3',
    '1,5',
    '',
    'abc',
    'inf',
    '-Infinity',
    'nan',
    'NaN',
    '1e400',
  ];

  it.each(scores)('JSONExtractFloat of the string %j', async (score) => {
    const expected = await engine<number | string>(
      "JSONExtractFloat(concat('{\"v\":', toJSONString({value:String}), '}'), 'v')",
      score,
    );
    const actual = jsonFloat(score);
    expect(sameFloat(actual, expected), `jsonFloat(${JSON.stringify(score)}) = ${actual}, ClickHouse ${expected}`).toBe(
      true,
    );
  });

  it.each([
    '0',
    '5',
    '+5',
    '007',
    '18446744073709551615',
    '18446744073709551616',
    '99999999999999999999',
    '-1',
    '1.5',
    ' 1',
    '',
  ])('toUInt64OrZero of %j', async (text) => {
    expect(String(uint64OrZero(text))).toBe(String(await engine<string>('toUInt64OrZero({value:String})', text)));
  });

  it.each(['"text"', '12', '1.5', 'true', 'null', '{"a":1}', '[1,"b"]', '{"city":"Paris","days":[1,2]}'])(
    'JSONExtractString of the JSON value %s',
    async (json) => {
      expect(jsonString(JSON.parse(json))).toBe(
        await engine<string>("JSONExtractString(concat('{\"v\":', {value:String}, '}'), 'v')", json),
      );
    },
  );
});
