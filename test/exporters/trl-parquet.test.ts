import { queryAsync } from 'chdb';
import { describe, expect, it } from 'vitest';
import { bytePinnedTrajectories } from './golden-exports.ts';
import { exportFile, readJsonl, readParquetObjects } from './export-files.ts';
import { toolTrajectories } from './tool-trajectories.ts';

const trlFormats = ['trl-sft', 'trl-dpo', 'trl-kto', 'trl-grpo'];
const trajectories = [...bytePinnedTrajectories, ...toolTrajectories];

async function parquetColumnTypes(path: string): Promise<Array<[string, string]>> {
  const result = await queryAsync(`SELECT * FROM file('${path}', ParquetMetadata)`, { format: 'JSONEachRow' });
  const metadata = JSON.parse(result.text()) as { columns: Array<{ path: string; logical_type: string }> };
  return metadata.columns.map((column) => [column.path, column.logical_type]);
}

describe('TRL Parquet loads as the JSONL does', () => {
  it.each(trlFormats)(
    '%s: a reader that maps Parquet JSON columns (as pyarrow and datasets do) gets exactly the JSONL records',
    async (format) => {
      const jsonl = readJsonl(await exportFile(format, trajectories, 'jsonl'));
      const parquet = await readParquetObjects(await exportFile(format, trajectories, 'parquet'));
      expect(jsonl.length).toBeGreaterThan(0);
      expect(parquet).toEqual(jsonl);
    },
  );

  it('keeps argument objects whole (other tools’ keys absent, null and {} kept) and tool_calls only where there are calls', async () => {
    const [record] = await readParquetObjects(await exportFile('trl-sft', [toolTrajectories[0]!], 'parquet'));
    const messages = record!['messages'] as Array<Record<string, any>>;
    expect(messages.map((message) => 'tool_calls' in message)).toEqual([
      false,
      false,
      true,
      false,
      true,
      false,
      true,
      false,
      false,
    ]);
    expect(messages.filter((message) => message.tool_calls).map((message) => message.tool_calls[0].function)).toEqual([
      { name: 'get_weather', arguments: { city: 'Paris' } },
      { name: 'convert_units', arguments: { value: 18, to: null, options: {} } },
      { name: 'local_time', arguments: {} },
    ]);
    expect((record!['tools'] as Array<{ function: { name: string } }>).map((tool) => tool.function.name)).toEqual([
      'get_weather',
      'convert_units',
      'local_time',
    ]);
  });

  it('declares the message and tool columns JSON in the file, and ClickHouse reads them as JSON', async () => {
    const path = await exportFile('trl-kto', trajectories, 'parquet');
    expect(await parquetColumnTypes(path)).toEqual([
      ['prompt.list.element', 'JSON'],
      ['completion.list.element', 'JSON'],
      ['label', 'None'],
      ['tools.list.element', 'JSON'],
    ]);
    const described = (await queryAsync(`DESCRIBE file('${path}', Parquet)`, { format: 'TSV' })).text();
    expect(described).toContain('prompt\tArray(JSON)');
    const rows = (await queryAsync(`SELECT * FROM file('${path}', Parquet)`, { format: 'JSONEachRow' }))
      .text()
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line) as { prompt: Array<{ role: string }> });
    expect(rows.length).toBe(readJsonl(await exportFile('trl-kto', trajectories, 'jsonl')).length);
    expect(rows[0]!.prompt[0]!.role).toBe('system');
  });
});
