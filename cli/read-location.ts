/**
 * Where `export` and `jobs` read from: through a receiver's API by default (while a receiver runs on the embedded
 * store it owns the data directory: libchdb binds one per process), or the store directly when a store location
 * is given, by flag or by the same environment variables `serve` reads. A flag beats the environment here too:
 * `--receiver` reads through the receiver even with TRAJECTORIES_DATA_DIR exported for `serve`, and
 * `--data-dir` reads that directory even with CLICKHOUSE_URL set. When only the environment speaks, a
 * TRAJECTORIES_RECEIVER_URL wins over a store location, because only clients read it, while the store variables
 * are often exported for a receiver. Opening an embedded directory another process holds fails with the fix.
 */
import { z } from 'zod';
import { describedAs, withoutDefault, type OptionTable } from '../src/config/option-definition.ts';
import type { OptionOrigin, ResolvedOptions } from '../src/config/resolve-options.ts';
import { storeLocationOptions } from '../src/config/store-location-options.ts';
import { parseHeaderList } from '../src/exporters/trajectory-source.ts';
import type { Store, StoreOptions } from '../src/store/client.ts';
import { openMigratedStore } from '../src/store/migrate.ts';

export const readLocationOptions = {
  receiver: {
    flag: '--receiver <url>',
    environment: ['TRAJECTORIES_RECEIVER_URL'],
    schema: z.url().default('http://127.0.0.1:4318'),
    description: 'receiver to read through',
  },
  token: {
    flag: '--token <token>',
    environment: ['TRAJECTORIES_TOKEN'],
    schema: z.string().min(1).optional(),
    description:
      "bearer token for the receiver (else Authorization in OTEL_EXPORTER_OTLP_HEADERS); the tenant is the token's",
  },
  otlpHeaders: {
    environment: ['OTEL_EXPORTER_OTLP_HEADERS'],
    schema: z.string().optional(),
    description: 'headers sent to the receiver, key=value,... as OpenTelemetry exporters read them',
  },
  dataDir: withoutDefault(
    storeLocationOptions.dataDir,
    'read this embedded data directory directly (only while no receiver holds it)',
  ),
  clickhouseUrl: describedAs(
    storeLocationOptions.clickhouseUrl,
    'read this ClickHouse server directly, http(s)://user:password@host:8123[/database]',
  ),
  database: storeLocationOptions.database,
  cluster: storeLocationOptions.cluster,
} satisfies OptionTable;

export type ReadLocation =
  | { kind: 'receiver'; url: string; token: string | undefined; headers: Record<string, string> }
  | { kind: 'store'; options: StoreOptions; describe: string; origin: OptionOrigin };

/** How strongly the user asked for a value: a flag beats the environment, which beats having said nothing. */
const strength: Record<OptionOrigin['source'], number> = { default: 0, environment: 1, option: 2, flag: 2 };

function redactedUrl(url: string): string {
  const parsed = new URL(url);
  if (parsed.password) parsed.password = '***';
  return parsed.toString();
}

export function chooseReadLocation({ values, origins }: ResolvedOptions<typeof readLocationOptions>): ReadLocation {
  const server = values.clickhouseUrl === undefined ? 0 : strength[origins.clickhouseUrl.source];
  const directory = values.dataDir === undefined ? 0 : strength[origins.dataDir.source];
  const receiver = strength[origins.receiver.source];
  if (Math.max(server, directory) === strength.flag && receiver === strength.flag)
    throw new Error('pass either --receiver or --clickhouse-url / --data-dir, not both');
  if (Math.max(server, directory) <= receiver)
    return {
      kind: 'receiver',
      url: values.receiver,
      token: values.token,
      headers: parseHeaderList(values.otlpHeaders),
    };
  const { database, cluster } = values;
  if (values.clickhouseUrl !== undefined && server >= directory) {
    // The store ignores the data directory next to a URL; the default only fills the required field.
    const options = {
      clickhouseUrl: values.clickhouseUrl,
      dataDir: storeLocationOptions.dataDir.schema.parse(undefined),
      database,
      cluster,
    };
    return {
      kind: 'store',
      options,
      describe: `ClickHouse server ${redactedUrl(values.clickhouseUrl)}`,
      origin: origins.clickhouseUrl,
    };
  }
  // Reached only with a data directory given; the default just satisfies the type.
  const dataDir = values.dataDir ?? storeLocationOptions.dataDir.schema.parse(undefined);
  return {
    kind: 'store',
    options: { dataDir, database, cluster },
    describe: `data directory ${dataDir}`,
    origin: origins.dataDir,
  };
}

/**
 * Why this command reads a store itself when the user named it only in the environment (most likely exported for
 * `serve`), with the two ways out; undefined when a flag named it.
 */
export function environmentChoiceNote(
  location: Extract<ReadLocation, { kind: 'store' }>,
  command: string,
): string | undefined {
  if (location.origin.source !== 'environment') return undefined;
  const variable = location.origin.variable;
  return `${variable} is set in the environment, so \`trajectories ${command}\` reads the ${location.describe} directly; to go through a receiver instead, unset ${variable} or pass --receiver <url>`;
}

const oneProcess =
  'embedded ClickHouse can only be opened by one process, so while a receiver holds this directory, read through the receiver';

/** The fix for a store that would not open, worded after how the user named it; undefined when the error says it. */
function openFailureHint(location: Extract<ReadLocation, { kind: 'store' }>, command: string): string | undefined {
  const embedded = location.options.clickhouseUrl === undefined;
  const note = environmentChoiceNote(location, command);
  if (note !== undefined) return embedded ? `${oneProcess}. ${note}` : note;
  if (!embedded) return undefined;
  return `${oneProcess}: leave out --data-dir (and pass --receiver <url> when it does not listen on ${readLocationOptions.receiver.schema.parse(undefined)})`;
}

export async function openReadStore(
  location: Extract<ReadLocation, { kind: 'store' }>,
  command: string,
): Promise<Store> {
  try {
    return await openMigratedStore({ ...location.options, schema: 'verify' });
  } catch (error) {
    const hint = openFailureHint(location, command);
    if (hint === undefined) throw error;
    throw new Error(`${(error as Error).message} (${hint})`, { cause: error });
  }
}
