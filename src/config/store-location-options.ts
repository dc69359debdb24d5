/**
 * Where the store is, defined once for every command that opens it: `serve` keeps its data there, `export` and
 * `jobs` read it directly when one of these is given. The names match `StoreOptions` (src/store/client.ts), so a
 * resolved table is the store's options as it is.
 */
import { z } from 'zod';
import type { OptionTable } from './option-definition.ts';

const identifier = z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/, 'letters, digits and _, not starting with a digit');

export const storeLocationOptions = {
  dataDir: {
    flag: '--data-dir <dir>',
    environment: ['TRAJECTORIES_DATA_DIR'],
    schema: z.string().min(1).default('./data'),
    description: 'embedded ClickHouse data directory',
  },
  clickhouseUrl: {
    flag: '--clickhouse-url <url>',
    environment: ['TRAJECTORIES_CLICKHOUSE_URL', 'CLICKHOUSE_URL'],
    schema: z.url().optional(),
    description: 'a ClickHouse server, http(s)://user:password@host:8123[/database], instead of the embedded one',
  },
  database: {
    flag: '--database <name>',
    environment: ['TRAJECTORIES_DATABASE'],
    schema: identifier.default('trajectories'),
    description: 'ClickHouse database (the URL path wins when given)',
  },
  cluster: {
    flag: '--cluster <name>',
    environment: ['TRAJECTORIES_CLICKHOUSE_CLUSTER'],
    schema: identifier.optional(),
    description: 'ClickHouse cluster for ON CLUSTER DDL and Replicated tables',
  },
} satisfies OptionTable;
