/**
 * SQL from users (the receiver's ClickHouse HTTP port, `trajectories sql`), made safe to run on the store the
 * receiver writes: one SELECT, reading only this product's tables and views, scoped to one tenant, under limits.
 *
 * ClickHouse does the parsing, never a hand-written parser: the text goes to `formatQuery()` as a bound
 * parameter (so nothing the user writes is ever executed as a statement of its own, and more than one statement
 * is refused there), and its canonical text, which has no comments, to `EXPLAIN AST`. The tree is then checked:
 * - the statement is a SELECT (a UNION, INTERSECT or EXCEPT of them), with no INTO OUTFILE and no SETTINGS
 *   clause anywhere (a subquery's SETTINGS would lift the limits);
 * - every table it names is one of this product's (or a harmless system table: `system.one`, `system.tables`, ...),
 *   and `IN <table>` counts as naming it;
 * - table functions are only the parameterized views and number generators; functions that read files, the
 *   network, dictionaries or server internals (`file`, `dictGet*`, `joinGet`, `filesystem*`, ...) are refused.
 * The query that runs is the canonical text with the product's own SETTINGS appended: `readonly = 1`, limits on
 * time, memory and result size, and `additional_table_filters` that give every read of a table holding a `tenant`
 * column the filter `tenant = <caller's tenant>`. ClickHouse applies those filters to the table wherever it is
 * read, through views, parameterized views (whatever tenant they are given), subqueries, joins and unions, so
 * what a query may name and what it may see are separate guards.
 */
import type { ClickHouseClient } from '@clickhouse/client';

export class SqlRefusedError extends Error {
  override name = 'SqlRefusedError';
  constructor(
    message: string,
    /** ClickHouse's error code and name for the refusal, as its HTTP interface reports errors. */
    readonly code: { number: number; name: string } = { number: 164, name: 'READONLY' },
  ) {
    super(message);
  }
}

export interface SqlLimits {
  maxExecutionSeconds: number;
  maxMemoryBytes: number;
  maxResultRows: number;
  maxResultBytes: number;
}

export const defaultSqlLimits: SqlLimits = {
  maxExecutionSeconds: 30,
  maxMemoryBytes: 2 * 1024 ** 3,
  maxResultRows: 1_000_000,
  maxResultBytes: 256 * 1024 ** 2,
};

/** System tables that hold no rows of any tenant: what clients (Grafana's data source among them) browse. */
const systemTables = new Set([
  'one',
  'numbers',
  'numbers_mt',
  'zeros',
  'zeros_mt',
  'databases',
  'tables',
  'columns',
  'functions',
  'table_functions',
  'formats',
  'data_type_families',
  'time_zones',
  'table_engines',
  'aggregate_function_combinators',
  'keywords',
]);

/** Table functions that read nothing but their arguments. */
const generatorTableFunctions = new Set([
  'numbers',
  'numbers_mt',
  'zeros',
  'zeros_mt',
  'generate_series',
  'generateseries',
  'values',
]);

/** Functions that read files, the network, dictionaries or the server's internals. */
const refusedFunctions = new Set([
  'file',
  'catboostevaluate',
  'modelevaluate',
  'getclienthttpheader',
  'showcertificate',
  'getserversetting',
  'getmergetreesetting',
  'demangle',
  'sleep',
  'sleepeachrow',
  'input',
  '__scalarsubqueryresult',
]);
const refusedFunctionPrefixes = ['dict', 'joinget', 'naivebayes', 'filesystem', 'addressto'];

/** Functions whose second argument may name a table (`x IN table`). */
const membershipFunctions = new Set([
  'in',
  'notin',
  'globalin',
  'globalnotin',
  'nullin',
  'notnullin',
  'globalnullin',
  'globalnotnullin',
]);

/** What a tenant may read in the store's database: its tables and views, and how each is scoped. */
export interface SqlCatalog {
  database: string;
  /** Tables and views the SQL may name (ClickHouse names are case-sensitive). */
  readable: ReadonlySet<string>;
  /** Every table and view of the database, readable or not. */
  existing: ReadonlySet<string>;
  /** Parameterized views, callable like table functions. */
  parameterizedViews: ReadonlySet<string>;
  /** Base tables with a `tenant` column: each read of them is filtered to the caller's tenant. */
  tenantTables: readonly string[];
}

/**
 * The catalog of the store's database: views (plain and parameterized) and tables with a `tenant` column are
 * readable; tables without one only when listed in `sharedTables` (rows that are the same for every tenant).
 */
export async function readSqlCatalog(
  client: ClickHouseClient,
  database: string,
  sharedTables: readonly string[] = ['air_rules', 'model_prices'],
): Promise<SqlCatalog> {
  const result = await client.query({
    query: `SELECT name, engine, as_select,
                   has((SELECT groupArray(table) FROM system.columns WHERE database = {database:String} AND name = 'tenant'), name) AS has_tenant
            FROM system.tables WHERE database = {database:String}`,
    query_params: { database },
    format: 'JSONEachRow',
  });
  const tables = await result.json<{ name: string; engine: string; as_select: string; has_tenant: number }>();
  const readable = new Set<string>();
  const parameterizedViews = new Set<string>();
  const tenantTables: string[] = [];
  for (const table of tables) {
    if (table.engine === 'View') {
      readable.add(table.name);
      // A view whose query takes {name:Type} parameters is called like a table function.
      if (/\{\s*\w+\s*:/.test(table.as_select)) parameterizedViews.add(table.name);
    } else if (table.engine.endsWith('MergeTree')) {
      if (Number(table.has_tenant) === 1) {
        readable.add(table.name);
        tenantTables.push(table.name);
      } else if (sharedTables.includes(table.name)) readable.add(table.name);
    }
  }
  return {
    database,
    readable,
    existing: new Set(tables.map((table) => table.name)),
    parameterizedViews,
    tenantTables: tenantTables.sort(),
  };
}

interface AstNode {
  kind: string;
  /** The rest of the line: a name, an alias, a literal. */
  detail: string;
  children: AstNode[];
  parent: AstNode | undefined;
}

/** `EXPLAIN AST` lines (one space of indent per level) as a tree. */
function parseAst(lines: string[]): AstNode {
  const root: AstNode = { kind: '', detail: '', children: [], parent: undefined };
  const stack: Array<{ depth: number; node: AstNode }> = [{ depth: -1, node: root }];
  for (const line of lines) {
    const depth = line.length - line.trimStart().length;
    const text = line.trim().replace(/ \(children \d+\)$/, '');
    const space = text.indexOf(' ');
    while (stack.length > 1 && stack[stack.length - 1]!.depth >= depth) stack.pop();
    const parent = stack[stack.length - 1]!.node;
    const node: AstNode = {
      kind: space < 0 ? text : text.slice(0, space),
      detail: space < 0 ? '' : text.slice(space + 1),
      children: [],
      parent,
    };
    parent.children.push(node);
    stack.push({ depth, node });
  }
  return root;
}

/** The name of a `TableIdentifier x (alias y)` or `Function f (alias g)` node. */
const nameOf = (node: AstNode) => node.detail.replace(/ \(alias .*\)$/, '');

function* walk(node: AstNode): Generator<AstNode> {
  for (const child of node.children) {
    yield child;
    yield* walk(child);
  }
}

function checkTableName(name: string, catalog: SqlCatalog, usage: string): void {
  const dot = name.indexOf('.');
  const database = dot < 0 ? undefined : name.slice(0, dot);
  const table = dot < 0 ? name : name.slice(dot + 1);
  if (database === 'system' && systemTables.has(table)) return;
  if ((database === undefined || database === catalog.database) && catalog.readable.has(table)) return;
  // An unqualified name that is no table of the database is a WITH clause's name (EXPLAIN AST does not show
  // those), or a table that does not exist, which ClickHouse refuses itself.
  if (database === undefined && !catalog.existing.has(table)) return;
  throw new SqlRefusedError(
    `${usage} ${name} is not readable here: queries read this product's tables and views ` +
      `(SELECT name FROM system.tables WHERE database = currentDatabase()) and system tables without data`,
    { number: 497, name: 'ACCESS_DENIED' },
  );
}

/** Throws SqlRefusedError naming the first thing in the tree a guarded query may not do. */
export function checkSelectAst(lines: string[], catalog: SqlCatalog): void {
  const root = parseAst(lines).children;
  const statement = root[0];
  if (root.length !== 1 || !statement) throw new SqlRefusedError('expected one statement');
  if (statement.kind !== 'SelectWithUnionQuery')
    throw new SqlRefusedError(
      `only SELECT queries run here, not ${statement.kind.replace(/Query$/, '')} (to list tables: SELECT name FROM system.tables WHERE database = currentDatabase())`,
    );
  // The SELECTs and nothing after them: INTO OUTFILE and FORMAT would be children here (ClickHouse refuses both
  // in the EXPLAIN subquery already; the FORMAT clause was taken off before).
  const [selects, ...rest] = statement.children;
  if (selects?.kind !== 'ExpressionList' || rest.length > 0)
    throw new SqlRefusedError('INTO OUTFILE and other clauses that write are not allowed');
  for (const node of walk(selects)) {
    if (node.kind === 'Set')
      throw new SqlRefusedError('SETTINGS clauses are not allowed: the SQL port sets the limits queries run under');
    if (node.kind === 'TableIdentifier') checkTableName(nameOf(node), catalog, 'table');
    if (node.kind !== 'Function') continue;
    const name = nameOf(node);
    const lower = name.toLowerCase();
    if (node.parent?.kind === 'TableExpression') {
      const dot = name.indexOf('.');
      const database = dot < 0 ? undefined : name.slice(0, dot);
      const view = dot < 0 ? name : name.slice(dot + 1);
      const isView = (database === undefined || database === catalog.database) && catalog.parameterizedViews.has(view);
      if (!isView && !(database === undefined && generatorTableFunctions.has(lower)))
        throw new SqlRefusedError(
          `table function ${name} is not allowed: only this product's parameterized views and number generators`,
          { number: 497, name: 'ACCESS_DENIED' },
        );
      continue;
    }
    if (refusedFunctions.has(lower) || refusedFunctionPrefixes.some((prefix) => lower.startsWith(prefix)))
      throw new SqlRefusedError(`function ${name} is not allowed here`, { number: 497, name: 'ACCESS_DENIED' });
    if (membershipFunctions.has(lower)) {
      const right = node.children[0]?.children[1];
      if (right?.kind === 'Identifier') checkTableName(nameOf(right), catalog, 'IN');
    }
  }
}

const quote = (text: string) => `'${text.replaceAll('\\', '\\\\').replaceAll("'", "\\'")}'`;

/** The SETTINGS clause every guarded query runs under. */
export function guardSettings(catalog: SqlCatalog, tenant: string, limits: SqlLimits): string {
  const filter = `tenant = ${quote(tenant)}`;
  const filters = catalog.tenantTables.flatMap((table) => [
    `${quote(table)}: ${quote(filter)}`,
    `${quote(`${catalog.database}.${table}`)}: ${quote(filter)}`,
  ]);
  return [
    'readonly = 1',
    `max_execution_time = ${limits.maxExecutionSeconds}`,
    `max_memory_usage = ${limits.maxMemoryBytes}`,
    `max_result_rows = ${limits.maxResultRows}`,
    `max_result_bytes = ${limits.maxResultBytes}`,
    "result_overflow_mode = 'throw'",
    'allow_introspection_functions = 0',
    // The tenant filter runs before WHERE; a condition moved into PREWHERE could run before it, and an error it
    // raises (throwIf, intDiv by zero) would tell whether another tenant's row matched.
    'optimize_move_to_prewhere = 0',
    'optimize_move_to_prewhere_if_final = 0',
    'output_format_pretty_color = 0',
    `additional_table_filters = {${filters.join(', ')}}`,
  ].join(', ');
}

export interface GuardedQuery {
  /** The query to run: canonical text, the guard's SETTINGS, then FORMAT. */
  sql: string;
  /** The output format: the query's own FORMAT clause, else the one asked for. */
  format: string;
}

const formatClause = /\nFORMAT (\w+)$/;

/**
 * Checks `text` and returns the query to run in its place, or throws SqlRefusedError (refused by the guard) or the
 * store's own error (a syntax error, an unknown parameter), both naming the problem.
 */
export async function guardQuery(
  client: ClickHouseClient,
  text: string,
  options: {
    catalog: SqlCatalog;
    tenant: string;
    limits: SqlLimits;
    defaultFormat: string;
    params?: Record<string, string>;
  },
): Promise<GuardedQuery> {
  const formatted = await client.query({
    query: 'SELECT formatQuery({guarded_sql_text:String}) AS query',
    query_params: { guarded_sql_text: text },
    format: 'JSONEachRow',
  });
  const [row] = await formatted.json<{ query: string }>();
  let canonical = row?.query ?? '';
  let format = options.defaultFormat;
  const clause = formatClause.exec(canonical);
  if (clause) {
    format = clause[1]!;
    canonical = canonical.slice(0, clause.index);
  }
  if (!/^\w+$/.test(format)) throw new SqlRefusedError(`unknown format ${JSON.stringify(format)}`);
  if (!/^(SELECT|WITH)\b|^\(/.test(canonical))
    throw new SqlRefusedError(
      `only SELECT queries run here, not ${/^\w+(\s+\w+)?/.exec(canonical)?.[0] ?? 'this'} (to list tables: SELECT name FROM system.tables WHERE database = currentDatabase())`,
    );
  // As a subquery, so that the FORMAT of the read below is the outer query's, not part of the tree explained.
  const explained = await client.query({
    query: `SELECT explain FROM (EXPLAIN AST ${canonical})`,
    query_params: options.params ?? {},
    format: 'JSONEachRow',
  });
  const lines = (await explained.json<{ explain: string }>()).map((line) => line.explain);
  checkSelectAst(lines, options.catalog);
  // The canonical text puts each clause on a line of its own (a literal's newlines are escaped), so this finds
  // every PREWHERE clause, which runs before the tenant filter (see guardSettings).
  if (/^\s*PREWHERE\b/m.test(canonical))
    throw new SqlRefusedError('PREWHERE is not allowed here: write the condition in WHERE');
  return {
    sql: `${canonical}\nSETTINGS ${guardSettings(options.catalog, options.tenant, options.limits)}\nFORMAT ${format}`,
    format,
  };
}
