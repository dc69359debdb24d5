/**
 * The price table the analytics views cost model calls with (model-calls.sql is its SQL twin): the shipped
 * model-prices.yaml, with the entries of a user's file of the same format laid over it (an entry replaces the
 * shipped one whole; `null` removes it). The receiver loads it into `model_prices` at start. A token kind without
 * a price is unknown, and a call that used it has an unknown cost: never zero.
 */
import { readFileSync } from 'node:fs';
import type { ClickHouseClient } from '@clickhouse/client';
import { parse as parseYaml } from 'yaml';
import { z } from 'zod';
import { describeIssue } from '../trajectories/filters.ts';

const price = z.number().min(0).max(1_000_000);

export const modelPriceSchema = z.strictObject({
  input: price.optional(),
  output: price.optional(),
  cache_read: price.optional(),
  cache_creation: price.optional(),
});
export type ModelPrice = z.infer<typeof modelPriceSchema>;

const priceFileSchema = z.strictObject({
  models: z.record(z.string().trim().min(1).max(200), modelPriceSchema.nullable()),
});

export const shippedPricesFile = new URL('./model-prices.yaml', import.meta.url);

export class PriceFileError extends Error {
  override name = 'PriceFileError';
}

function readPriceFile(location: string | URL): Record<string, ModelPrice | null> {
  let text: string;
  try {
    text = readFileSync(location, 'utf8');
  } catch (error) {
    throw new PriceFileError(`cannot read the price file ${String(location)}: ${(error as Error).message}`);
  }
  let document: unknown;
  try {
    document = parseYaml(text);
  } catch (error) {
    throw new PriceFileError(`the price file ${String(location)} is not YAML: ${(error as Error).message}`);
  }
  const parsed = priceFileSchema.safeParse(document);
  if (!parsed.success)
    throw new PriceFileError(
      `the price file ${String(location)} is invalid: ${describeIssue(parsed.error)} ` +
        '(expected `models: { <model>: { input, output, cache_read, cache_creation } }`, USD per million tokens)',
    );
  return parsed.data.models;
}

/** The shipped prices, with `overrideFile`'s entries laid over them; keys are lowercased model names. */
export function loadModelPrices(overrideFile?: string): Map<string, ModelPrice> {
  const prices = new Map<string, ModelPrice>();
  const lay = (entries: Record<string, ModelPrice | null>) => {
    for (const [model, entry] of Object.entries(entries)) {
      if (entry === null) prices.delete(model.toLowerCase());
      else prices.set(model.toLowerCase(), entry);
    }
  };
  lay(readPriceFile(shippedPricesFile));
  if (overrideFile !== undefined) lay(readPriceFile(overrideFile));
  return prices;
}

/** What may follow a priced model's name and '-' in a snapshot of it: a date, four digits, or "latest". */
const snapshotSuffix = /^(\d{4}-\d{2}-\d{2}|\d{8}|\d{4}|latest)$/;

/**
 * The entry a call's model is priced by: the one of the same name, else the one it extends by '-' and a snapshot
 * suffix (gpt-4o-2024-08-06 takes gpt-4o's price; gpt-4o-mini-2024-07-18 never does), case-insensitively; as
 * model-calls.sql matches.
 */
export function priceEntryFor(
  prices: ReadonlyMap<string, ModelPrice>,
  model: string,
): { model: string; price: ModelPrice } | undefined {
  const name = model.toLowerCase();
  const exact = prices.get(name);
  if (exact) return { model: name, price: exact };
  for (const [candidate, price] of prices) {
    if (name.startsWith(`${candidate}-`) && snapshotSuffix.test(name.slice(candidate.length + 1)))
      return { model: candidate, price };
  }
  return undefined;
}

/** Writes the table as the latest load; the views read only the latest load's rows. */
export async function storeModelPrices(
  client: ClickHouseClient,
  prices: ReadonlyMap<string, ModelPrice>,
  source: string,
): Promise<void> {
  const loadedAt = Date.now();
  // A load with no entries still needs a row to be the latest load: a marker no model name can match.
  const rows = [...prices].map(([model, entry]) => ({
    model,
    input_per_mtok: entry.input ?? null,
    output_per_mtok: entry.output ?? null,
    cache_read_per_mtok: entry.cache_read ?? null,
    cache_creation_per_mtok: entry.cache_creation ?? null,
    source,
    loaded_ms: loadedAt,
  }));
  if (rows.length === 0)
    rows.push({
      model: '',
      input_per_mtok: null,
      output_per_mtok: null,
      cache_read_per_mtok: null,
      cache_creation_per_mtok: null,
      source,
      loaded_ms: loadedAt,
    });
  await client.insert({ table: 'model_prices', values: rows, format: 'JSONEachRow' });
}
