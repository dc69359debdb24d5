/**
 * Imports run one way: entry points (`cli/`) -> receiver (`collector/`) -> domain (`src/`), and the agent-side
 * package (`instrumentation/src`) stands alone: nothing outside its folder, never ClickHouse. The dashboard
 * (`dashboard/`) talks to the receiver over HTTP only: from outside its folder it takes the API's types from `src/`
 * (`import type`, erased at build time), nothing that runs. A layer that imports upwards can no longer be used
 * without the layer above it, so this test names every such import.
 */
import { posix } from 'node:path';
import { describe, expect, it } from 'vitest';
import { importsOf, readImports, typeScriptFilesUnder, type ImportReference } from './import-graph.ts';

const root = posix.join(import.meta.dirname, '../..');
const scanned = ['src', 'collector', 'cli', 'instrumentation/src', 'dashboard'];

function under(path: string, directory: string): boolean {
  return path === directory || path.startsWith(`${directory}/`);
}

function isClickHousePackage(specifier: string): boolean {
  return specifier === 'chdb' || specifier.startsWith('chdb/') || specifier.startsWith('@clickhouse/');
}

/** Why `reference` breaks the layering, or undefined when it does not. */
function violation({ file, specifier, typeOnly }: ImportReference): string | undefined {
  const relativeImport = specifier.startsWith('./') || specifier.startsWith('../');
  const target = relativeImport ? posix.normalize(posix.join(posix.dirname(file), specifier)) : undefined;
  if (under(file, 'src') && target && (under(target, 'collector') || under(target, 'cli')))
    return `src/ must not import ${target.split('/')[0]}/`;
  if (under(file, 'collector') && target && under(target, 'cli')) return 'collector/ must not import cli/';
  if (under(file, 'dashboard') && target && !under(target, 'dashboard')) {
    if (!under(target, 'src')) return 'dashboard/ must reach the receiver over HTTP, not import it';
    if (!typeOnly) return "dashboard/ may import only the API's types from src/ (import type)";
  }
  if (under(file, 'instrumentation/src')) {
    if (target && !under(target, 'instrumentation')) return 'instrumentation/ must not import outside its package';
    if (!target && isClickHousePackage(specifier)) return 'instrumentation/ must not depend on ClickHouse';
  }
  return undefined;
}

function violations(references: ImportReference[]): string[] {
  return references.flatMap((reference) => {
    const reason = violation(reference);
    return reason ? [`${reference.file}:${reference.line} imports '${reference.specifier}': ${reason}`] : [];
  });
}

describe('import layers', () => {
  it('names each upward import, in every import form', () => {
    const source = (lines: string[]) => lines.join('\n');
    const references = [
      ...importsOf(
        'src/store/x.ts',
        source([
          "import { startReceiver } from '../../collector/receiver.ts';",
          "// import { main } from '../../cli/main.ts';  (a comment is not an import)",
          "export { main } from '../../cli/main.ts';",
          "const config = await import('../../collector/config.ts');",
          "type Options = import('../../collector/config.ts').ReceiverOptions;",
          "import { openStore } from './client.ts';",
        ]),
      ),
      ...importsOf(
        'collector/http/x.ts',
        source([
          "export * as cli from '../../cli/main.ts';",
          "import type { Store } from '../../src/store/client.ts';",
        ]),
      ),
      ...importsOf(
        'instrumentation/src/x.ts',
        source([
          "import { createClient } from '@clickhouse/client';",
          "import 'chdb/connection';",
          "import { canonicalSpanSchema } from '../../src/model/span.ts';",
          "import { guard } from './guard.ts';",
          "import { trace } from '@opentelemetry/api';",
        ]),
      ),
      ...importsOf(
        'dashboard/src/x.tsx',
        source([
          "import type { Trajectory } from '../../src/model/trajectory.ts';",
          "export type { Turn } from '../../src/model/trajectory.ts';",
          "import { trajectorySchema } from '../../src/model/trajectory.ts';",
          "import { startReceiver } from '../../collector/receiver.ts';",
          "import { getJson } from './api/client.ts';",
          'const page = <p>{String(1)}</p>;',
        ]),
      ),
    ];
    expect(violations(references)).toEqual([
      "src/store/x.ts:1 imports '../../collector/receiver.ts': src/ must not import collector/",
      "src/store/x.ts:3 imports '../../cli/main.ts': src/ must not import cli/",
      "src/store/x.ts:4 imports '../../collector/config.ts': src/ must not import collector/",
      "src/store/x.ts:5 imports '../../collector/config.ts': src/ must not import collector/",
      "collector/http/x.ts:1 imports '../../cli/main.ts': collector/ must not import cli/",
      "instrumentation/src/x.ts:1 imports '@clickhouse/client': instrumentation/ must not depend on ClickHouse",
      "instrumentation/src/x.ts:2 imports 'chdb/connection': instrumentation/ must not depend on ClickHouse",
      "instrumentation/src/x.ts:3 imports '../../src/model/span.ts': instrumentation/ must not import outside its package",
      "dashboard/src/x.tsx:3 imports '../../src/model/trajectory.ts': dashboard/ may import only the API's types from src/ (import type)",
      "dashboard/src/x.tsx:4 imports '../../collector/receiver.ts': dashboard/ must reach the receiver over HTTP, not import it",
    ]);
  });

  it('no file under src/, collector/, cli/, instrumentation/src or dashboard/ imports against the layers', () => {
    const files = scanned.flatMap((directory) => typeScriptFilesUnder(root, directory));
    for (const directory of scanned)
      expect(
        files.some((file) => under(file, directory)),
        `${directory} has TypeScript files`,
      ).toBe(true);
    const references = readImports(root, files);
    // The command line really does sit on top: it imports the receiver and the domain.
    expect(
      references.some((reference) => under(reference.file, 'cli') && reference.specifier.includes('collector/')),
    ).toBe(true);
    expect(violations(references)).toEqual([]);
  });
});
