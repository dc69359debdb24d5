/**
 * `trajectories import FILE`: trajectories that never were spans (OpenAI chat-format conversations, the trajectory
 * JSON of the design documents; src/imports/) sent to the receiver's `POST /v1/trajectories` in batches. FILE is
 * JSON Lines (one trajectory per line), a JSON array, or one JSON object; every line is checked before anything is
 * sent, and a bad one is named by its line. Re-running is safe: trajectories are idempotent by their `id`.
 */
import { readFileSync } from 'node:fs';
import type { Command } from 'commander';
import { z } from 'zod';
import type { OptionTable } from '../src/config/option-definition.ts';
import { parseImportRequest } from '../src/imports/import-trajectories.ts';
import { parseHeaderList } from '../src/exporters/trajectory-source.ts';
import { addOptions, resolveFlags } from './command-options.ts';
import { callReceiver } from './receiver-request.ts';
import { createProgressBar } from './progress-bar.ts';
import { readLocationOptions } from './read-location.ts';

export const importOptions = {
  batch: {
    flag: '--batch <n>',
    schema: z.coerce.number().int().min(1).max(1000).default(100),
    description: 'trajectories per request',
  },
  receiver: readLocationOptions.receiver,
  token: readLocationOptions.token,
  otlpHeaders: readLocationOptions.otlpHeaders,
} satisfies OptionTable;

/** The file's trajectories, each with where it came from (for messages). */
function readTrajectories(file: string): Array<{ where: string; value: unknown }> {
  const text = readFileSync(file, 'utf8');
  // A JSON array, one (possibly pretty-printed) object, or `{"trajectories": [...]}`; else JSON Lines.
  let whole: unknown;
  try {
    whole = JSON.parse(text);
  } catch {
    whole = undefined;
  }
  if (Array.isArray(whole)) return (whole as unknown[]).map((value, index) => ({ where: `item ${index}`, value }));
  if (whole !== null && typeof whole === 'object') {
    const list = (whole as { trajectories?: unknown }).trajectories;
    if (Array.isArray(list))
      return (list as unknown[]).map((value, index) => ({ where: `trajectories[${index}]`, value }));
    return [{ where: 'the object', value: whole }];
  }
  const items: Array<{ where: string; value: unknown }> = [];
  text.split('\n').forEach((line, index) => {
    if (line.trim() === '') return;
    try {
      items.push({ where: `line ${index + 1}`, value: JSON.parse(line) });
    } catch (error) {
      throw new Error(`${file} line ${index + 1}: not JSON (${(error as Error).message})`, { cause: error });
    }
  });
  return items;
}

export function addImportCommand(program: Command): void {
  addOptions(
    program
      .command('import')
      .argument('<file>', 'JSON Lines, a JSON array or one JSON object of trajectories')
      .description('import OpenAI chat-format conversations or trajectory JSON as trajectories'),
    importOptions,
  ).action(async (file: string, parsed: Record<string, unknown>) => {
    const { values } = resolveFlags(importOptions, parsed, process.env);
    const items = readTrajectories(file);
    // Checked here first, so a bad line stops the import before any of it is sent.
    for (const { where, value } of items) {
      try {
        parseImportRequest(value);
      } catch (error) {
        throw new Error(`${file} ${where}: ${(error as Error).message}`, { cause: error });
      }
    }
    const target = { url: values.receiver, token: values.token, headers: parseHeaderList(values.otlpHeaders) };
    const progress = createProgressBar();
    let imported = 0;
    try {
      for (let start = 0; start < items.length; start += values.batch) {
        const batch = items.slice(start, start + values.batch).map((item) => item.value);
        try {
          await callReceiver(target, 'POST', '/v1/trajectories', { trajectories: batch });
        } catch (error) {
          throw new Error(`${(error as Error).message} (${imported} imported so far; re-running is safe)`, {
            cause: error,
          });
        }
        imported += batch.length;
        progress.update(imported, items.length, 'trajectories');
      }
    } finally {
      progress.finish();
    }
    console.error(`imported ${imported} of ${items.length} trajectories from ${file}`);
  });
}
