/**
 * The `trajectories` command line: `serve` runs the receiver; `export` and `jobs` write training data; `stats`
 * prints analytics and `sql` runs a query on the store; `mcp` serves context learning on stdio.
 * Errors print one line that names the problem and exit non-zero.
 */
import { Command } from 'commander';
import { addServeCommand } from './serve-command.ts';
import { addExportCommand } from './export-command.ts';
import { addJobsCommand } from './jobs-command.ts';
import { addMcpCommand } from './mcp-command.ts';
import { addStatsCommand } from './stats-command.ts';
import { addSqlCommand } from './sql-command.ts';
import { addDeleteCommand } from './delete-command.ts';
import { addImportCommand } from './import-command.ts';

export async function main(argv: string[]): Promise<void> {
  const program = new Command('trajectories')
    .description(
      'Agent trajectories over OpenTelemetry: receive spans, derive rewards and credit, export training data',
    )
    .showHelpAfterError();
  addServeCommand(program);
  addExportCommand(program);
  addJobsCommand(program);
  addStatsCommand(program);
  addSqlCommand(program);
  addDeleteCommand(program);
  addImportCommand(program);
  addMcpCommand(program);
  try {
    await program.parseAsync(argv);
  } catch (error) {
    console.error(`trajectories: ${(error as Error).message}`);
    process.exit(1);
  }
}
