/**
 * One declarative definition per configuration option: its command-line flag, its environment variables, a zod
 * schema that validates it and carries its default, and a description. Every command's options are a table of
 * these, and everything a user reads about an option (help text, error messages, the README check) is generated
 * from the table, so a default or a variable name is written down exactly once. Commander stays out of this
 * module: the domain and the receiver define options, only the command line registers them as flags.
 */
import type { z } from 'zod';

export interface OptionDefinition<Schema extends z.ZodType = z.ZodType> {
  /** As commander spells it: `--http-port <port>`, or `--all` for a switch. None for environment-only settings. */
  flag?: string;
  /** Environment variables, in precedence order: the first one set to a non-empty value wins. */
  environment?: readonly string[];
  /** Validates and converts the raw value (a flag's or variable's text, or a caller's value); `.default()` is the default. */
  schema: Schema;
  description: string;
}

export type OptionTable = Record<string, OptionDefinition>;

/** The resolved, validated values of a table. */
export type OptionValues<Table extends OptionTable> = { [Key in keyof Table]: z.output<Table[Key]['schema']> };

/** What a caller may pass in code (every option optional; the environment and defaults fill the rest). */
export type OptionInputs<Table extends OptionTable> = { [Key in keyof Table]?: z.input<Table[Key]['schema']> };

/** The same option under another command's wording: flag, variables, schema and default stay shared. */
export function describedAs<Definition extends OptionDefinition>(
  definition: Definition,
  description: string,
): Definition {
  return { ...definition, description };
}

/** The same option with no default, for a command where "not given" must stay distinguishable (and shown as such). */
export function withoutDefault<Inner extends z.ZodType>(
  definition: OptionDefinition<z.ZodDefault<Inner>>,
  description: string,
): OptionDefinition<z.ZodOptional<Inner>> {
  return { ...definition, schema: definition.schema.unwrap().optional(), description };
}

/** `--http-port` of `--http-port <port>`. */
export function flagName(definition: OptionDefinition): string | undefined {
  return definition.flag?.split(/[\s,]+/).find((part) => part.startsWith('--'));
}

/**
 * The schema's default as a user types it (`4318`, `./data`), found by validating "no value"; undefined when the
 * option has none.
 */
export function defaultText(definition: OptionDefinition): string | undefined {
  const parsed = definition.schema.safeParse(undefined);
  if (!parsed.success || parsed.data === undefined) return undefined;
  return typeof parsed.data === 'string' ? parsed.data : JSON.stringify(parsed.data);
}

/** Whether the flag takes no value (`--all`), so a default of `false` goes without saying. */
function isSwitch(definition: OptionDefinition): boolean {
  return definition.flag !== undefined && !/[<[]/.test(definition.flag);
}

/** The help line of an option: `interface to listen on [env: TRAJECTORIES_HOST] [default: 127.0.0.1]`. */
export function describeOption(definition: OptionDefinition): string {
  const parts = [definition.description];
  if (definition.environment?.length) parts.push(`[env: ${definition.environment.join(', ')}]`);
  const fallback = defaultText(definition);
  if (fallback !== undefined && !(isSwitch(definition) && fallback === 'false')) parts.push(`[default: ${fallback}]`);
  return parts.join(' ');
}
