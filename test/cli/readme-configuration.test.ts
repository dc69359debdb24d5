/**
 * The README's configuration tables against the option tables they describe: every option with its flag,
 * environment variables and default, and no row for an option that no longer exists. Help text is generated from
 * the tables; the README is written by hand, so this is what keeps it from drifting.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { exportOptions } from '../../cli/export-command.ts';
import { jobsOptions } from '../../cli/jobs-command.ts';
import { statsOptions } from '../../cli/stats-command.ts';
import { sqlOptions } from '../../cli/sql-command.ts';
import { receiverOptions } from '../../collector/config.ts';
import { defaultText, flagName, type OptionDefinition } from '../../src/config/option-definition.ts';

const readme = readFileSync(join(import.meta.dirname, '../../README.md'), 'utf8');

/** The cells of the first table after `heading` in the Configuration section. */
function tableAfter(heading: string): string[][] {
  const configuration = readme.slice(readme.indexOf('\n## Configuration\n'));
  const section = configuration.slice(configuration.indexOf(`\n${heading}\n`));
  expect(section.length, `README has "${heading}" under Configuration`).toBeLessThan(configuration.length);
  const lines = section.split('\n').slice(2);
  const start = lines.findIndex((line) => line.startsWith('|'));
  const table = lines.slice(start, start + lines.slice(start).findIndex((line) => !line.startsWith('|')));
  return table.slice(2).map((line) =>
    line
      .slice(1, -1)
      .split('|')
      .map((cell) => cell.trim()),
  );
}

const quoted = (cell: string) => [...cell.matchAll(/`([^`]+)`/g)].map((match) => match[1]);

function expectDocumented(rows: string[][], definitions: Array<[string, OptionDefinition]>): void {
  for (const [key, definition] of definitions) {
    const flag = flagName(definition);
    const row = rows.find(
      ([option = '', environment = '']) =>
        (flag ? quoted(option).includes(flag) : option === '') &&
        quoted(environment).join() === (definition.environment ?? []).join(),
    );
    expect(row, `a README row for ${key}: ${flag ?? '(no flag)'} ${definition.environment?.join(', ')}`).toBeDefined();
    const fallback = defaultText(definition);
    if (fallback === undefined) expect(['none', 'embedded'], `${key} has no default`).toContain(row?.[2]);
    else expect(quoted(row?.[2] ?? '')[0], `default of ${key}`).toBe(fallback);
  }
  const documented = new Set(definitions.map(([, definition]) => (definition.environment ?? []).join()));
  for (const [option = '', environment = ''] of rows)
    expect(documented.has(quoted(environment).join()), `README row ${option} ${environment} is an option`).toBe(true);
}

describe('README configuration tables', () => {
  it('list every serve option with its flag, environment variables and default', () => {
    expectDocumented(tableAfter('### `trajectories serve`'), Object.entries(receiverOptions));
  });

  it('list every option export, jobs, stats and sql read from the environment', () => {
    const definitions = new Map<string, OptionDefinition>([
      ...Object.entries(exportOptions),
      ...Object.entries(jobsOptions),
      ...Object.entries(statsOptions),
      ...Object.entries(sqlOptions),
    ]);
    const fromEnvironment = [...definitions].filter(([, definition]) => definition.environment?.length);
    expectDocumented(tableAfter('### `trajectories export`, `jobs`, `stats` and `sql`'), fromEnvironment);
  });
});
