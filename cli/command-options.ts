/**
 * The command-line side of an option table (src/config/option-definition.ts): registers each flagged option with
 * commander, help text generated from the definition (environment variables and default included, never copied
 * by hand), lists the environment-only settings after the options, and resolves an action's flags through the
 * same flag ?? environment ?? default merge the receiver uses. Commander gets no defaults of its own, so a flag
 * the user did not pass reads as undefined and the environment can fill it.
 */
import { Option, type Command } from 'commander';
import { describeOption, type OptionTable } from '../src/config/option-definition.ts';
import { resolveOptions, type ResolvedOptions } from '../src/config/resolve-options.ts';

export function addOptions(command: Command, table: OptionTable): Command {
  const environmentOnly: string[] = [];
  for (const definition of Object.values(table)) {
    if (definition.flag) command.addOption(new Option(definition.flag, describeOption(definition)));
    else if (definition.environment?.length)
      environmentOnly.push(
        `  ${definition.environment.join(', ')}\n      ${describeOption({ ...definition, environment: [] })}`,
      );
  }
  if (environmentOnly.length > 0) command.addHelpText('after', `\nEnvironment only:\n${environmentOnly.join('\n')}`);
  return command;
}

/** The flags the user passed, keyed like the table (commander names `--auth-tokens` `authTokens`, not `authTokensFile`). */
export function flagValues(table: OptionTable, parsed: Record<string, unknown>): Record<string, unknown> {
  const values: Record<string, unknown> = {};
  for (const [key, definition] of Object.entries(table)) {
    if (definition.flag) values[key] = parsed[new Option(definition.flag).attributeName()];
  }
  return values;
}

export function resolveFlags<Table extends OptionTable>(
  table: Table,
  parsed: Record<string, unknown>,
  environment: NodeJS.ProcessEnv,
): ResolvedOptions<Table> {
  return resolveOptions({ table, given: flagValues(table, parsed), environment, givenAs: 'flag' });
}
