/**
 * Configuration merged in one place: a given value (a command-line flag, or a caller's option in code) ??
 * the first environment variable set ?? the schema's default, then validated. A bad value fails early with a
 * message that shows the value and where it came from (`environment variable TRAJECTORIES_HTTP_PORT = "abc": ...`),
 * every bad value at once. Each value's origin is returned too, because some decisions depend on whether the user
 * asked for something or got the default (export reads a store directly only when a store location was given).
 */
import { flagName, type OptionDefinition, type OptionTable, type OptionValues } from './option-definition.ts';

export type OptionOrigin =
  | { source: 'flag'; flag: string }
  | { source: 'option'; key: string }
  | { source: 'environment'; variable: string }
  | { source: 'default' };

export function describeOrigin(origin: OptionOrigin): string {
  switch (origin.source) {
    case 'flag':
      return `flag ${origin.flag}`;
    case 'option':
      return `option ${origin.key}`;
    case 'environment':
      return `environment variable ${origin.variable}`;
    case 'default':
      return 'default';
  }
}

export interface ConfigurationProblem {
  key: string;
  origin: OptionOrigin;
  value: unknown;
  message: string;
}

function describeProblem({ key, origin, value, message }: ConfigurationProblem, definition: OptionDefinition): string {
  if (value === undefined) {
    const variables = definition.environment?.length ? ` (or ${definition.environment.join(' / ')})` : '';
    return `${flagName(definition) ?? key}${variables} is required`;
  }
  return `${describeOrigin(origin)} = ${JSON.stringify(value)}: ${message}`;
}

/** Every invalid value of one resolution, each named with its origin. */
export class ConfigurationError extends Error {
  override readonly name = 'ConfigurationError';
  constructor(
    message: string,
    readonly problems: ConfigurationProblem[],
  ) {
    super(message);
  }
}

export interface ResolvedOptions<Table extends OptionTable> {
  values: OptionValues<Table>;
  origins: { [Key in keyof Table]: OptionOrigin };
}

export interface ResolveOptionsInput<Table extends OptionTable> {
  table: Table;
  /** Values that beat the environment; undefined means not given. */
  given?: { [Key in keyof Table]?: unknown };
  environment?: NodeJS.ProcessEnv;
  /** How to name a given value in errors: by its flag (the command line) or by its key (code). */
  givenAs?: 'flag' | 'option';
}

function originOfGiven(key: string, definition: OptionDefinition, givenAs: 'flag' | 'option'): OptionOrigin {
  const flag = givenAs === 'flag' ? flagName(definition) : undefined;
  return flag ? { source: 'flag', flag } : { source: 'option', key };
}

export function resolveOptions<Table extends OptionTable>({
  table,
  given = {},
  environment = {},
  givenAs = 'option',
}: ResolveOptionsInput<Table>): ResolvedOptions<Table> {
  const values: Record<string, unknown> = {};
  const origins: Record<string, OptionOrigin> = {};
  const problems: ConfigurationProblem[] = [];
  for (const [key, definition] of Object.entries(table)) {
    let raw = (given as Record<string, unknown>)[key];
    let origin: OptionOrigin = originOfGiven(key, definition, givenAs);
    if (raw === undefined) {
      // An empty variable counts as unset, as shells leave `export NAME=` behind.
      const variable = definition.environment?.find(
        (name) => environment[name] !== undefined && environment[name] !== '',
      );
      raw = variable === undefined ? undefined : environment[variable];
      origin = variable === undefined ? { source: 'default' } : { source: 'environment', variable };
    }
    const parsed = definition.schema.safeParse(raw);
    origins[key] = origin;
    if (parsed.success) values[key] = parsed.data;
    else
      problems.push({ key, origin, value: raw, message: parsed.error.issues.map((issue) => issue.message).join(', ') });
  }
  if (problems.length > 0) {
    const described = problems.map((problem) => describeProblem(problem, table[problem.key] as OptionDefinition));
    throw new ConfigurationError(`invalid configuration: ${described.join('; ')}`, problems);
  }
  return { values: values as OptionValues<Table>, origins: origins as ResolvedOptions<Table>['origins'] };
}
