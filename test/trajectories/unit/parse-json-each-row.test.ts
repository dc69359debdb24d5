import { describe, expect, it } from 'vitest';
import { parseJsonEachRow } from '../../../src/store/read-rows.ts';

describe('parseJsonEachRow', () => {
  it('parses every row of a body, with newlines escaped inside strings left alone', () => {
    const rows = [
      { trace_id: 'a', text: 'line one\nline two' },
      { trace_id: 'b', text: '{"role":"user","content":"x,\\n"}' },
    ];
    const body = rows.map((row) => JSON.stringify(row)).join('\n') + '\n';
    expect(parseJsonEachRow(body)).toEqual(rows);
  });

  it('reads an empty body as no rows, and a body without its final newline whole', () => {
    expect(parseJsonEachRow('')).toEqual([]);
    expect(parseJsonEachRow('{"a":1}\n{"a":2}')).toEqual([{ a: 1 }, { a: 2 }]);
  });

  it('reports an error ClickHouse appended to the rows with its text', () => {
    const body = '{"a":1}\nCode: 241. DB::Exception: Memory limit exceeded\n';
    expect(() => parseJsonEachRow(body)).toThrow(/Memory limit exceeded/);
  });
});
