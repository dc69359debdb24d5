/**
 * The ClickHouse structure a format's records are read with when they become Parquet, derived from the format's
 * zod record schema so the two cannot drift: a field added to a schema is a column (or tuple element) of the
 * Parquet file, with no second list to update. Objects become named `Tuple`s, arrays `Array`s, optional or
 * nullable scalars `Nullable`, and the variants of a discriminated union (chat messages by role) one tuple with
 * every variant's fields. Free-form values (records, unknown, a string-or-parts union) are JSON text in a
 * `String` column; so is any schema marked with `storedAsJsonText`, for values a consumer reads back as JSON
 * (tool definitions, ART trajectories, metadata). A schema marked with `storedAsJsonObject` is JSON text too, and
 * its column is declared JSON in the file (parquet-json-columns.ts), so readers that know the JSON type give the
 * objects back exactly, whatever keys each one has: chat messages with and without `tool_calls`, arguments of
 * different tools. A schema with no Parquet counterpart fails loudly here.
 */
import { z } from 'zod';

type ScalarName = 'String' | 'Int64' | 'Float64' | 'UInt8' | 'Bool';

/** The derived type of one column or tuple element. */
export type ParquetType =
  | { kind: 'scalar'; name: ScalarName; nullable: boolean; json?: true }
  | { kind: 'array'; element: ParquetType }
  | { kind: 'tuple'; fields: Array<{ name: string; type: ParquetType }> };

type ParquetHint = { storage: 'json-text' | 'json-object' } | { fieldOrder: readonly string[] };

// Keyed by schema instance: a hint applies to exactly the schema object it was given.
const hints = z.registry<ParquetHint>();

/** Stores values of `schema` as their JSON text in one `String` column. Returns `schema` itself. */
export function storedAsJsonText<T extends z.ZodType>(schema: T): T {
  hints.add(schema, { storage: 'json-text' });
  return schema;
}

/**
 * Stores each value of `schema` (an object) as its JSON text in a `String` column that the Parquet file declares
 * as JSON, for objects whose keys vary from value to value. Returns `schema` itself.
 */
export function storedAsJsonObject<T extends z.ZodObject>(schema: T): T {
  hints.add(schema, { storage: 'json-object' });
  return schema;
}

/**
 * Orders the merged tuple of a discriminated union (first appearance otherwise), so a schema refactor does not
 * reorder struct fields of files a job already wrote. Every field of the union must be listed.
 */
export function withParquetFieldOrder<T extends z.ZodType>(schema: T, fieldOrder: readonly string[]): T {
  hints.add(schema, { fieldOrder });
  return schema;
}

const scalar = (name: ScalarName, nullable = false): ParquetType => ({ kind: 'scalar', name, nullable });
const jsonText = scalar('String');
const jsonObject: ParquetType = { kind: 'scalar', name: 'String', nullable: false, json: true };

function withNull(type: ParquetType): ParquetType {
  // ClickHouse has no Nullable(Array) or Nullable(Tuple): a null array reads as [], a null tuple as its defaults.
  return type.kind === 'scalar' ? { ...type, nullable: true } : type;
}

function sameType(a: ParquetType, b: ParquetType): boolean {
  return renderType(withNull(a)) === renderType(withNull(b));
}

function literalType(values: readonly unknown[], path: string): ParquetType {
  if (values.every((value) => typeof value === 'string')) return jsonText;
  if (values.every((value) => typeof value === 'boolean')) return scalar('Bool');
  if (values.every((value) => typeof value === 'number' && Number.isInteger(value))) {
    return scalar((values as number[]).every((value) => value >= 0 && value <= 255) ? 'UInt8' : 'Int64');
  }
  if (values.every((value) => typeof value === 'number')) return scalar('Float64');
  throw new Error(`${path}: no Parquet type for the literals ${JSON.stringify(values)}`);
}

function objectType(schema: z.ZodObject, path: string): ParquetType {
  const catchall = schema.def.catchall as z.ZodType | undefined;
  // Keys nobody declared (a loose object such as a content part) only fit in JSON text.
  if (catchall !== undefined && catchall.def.type !== 'never') return jsonText;
  return {
    kind: 'tuple',
    fields: Object.entries(schema.shape).map(([name, field]) => ({
      name,
      type: derive(field as z.ZodType, `${path}.${name}`),
    })),
  };
}

/** One tuple holding every variant's fields; a field some variant lacks is nullable (or empty) there. */
function mergedVariants(schema: z.ZodType, variants: readonly z.ZodType[], path: string): ParquetType {
  const fields = new Map<string, { type: ParquetType; inEvery: number }>();
  for (const variant of variants) {
    const derived = derive(variant, path);
    if (derived.kind !== 'tuple') throw new Error(`${path}: a discriminated union variant must be an object`);
    for (const field of derived.fields) {
      const known = fields.get(field.name);
      if (!known) fields.set(field.name, { type: field.type, inEvery: 1 });
      else if (!sameType(known.type, field.type))
        throw new Error(
          `${path}.${field.name}: the variants disagree on its type (${renderType(known.type)} vs ${renderType(field.type)})`,
        );
      else
        fields.set(field.name, {
          type: field.type.kind === 'scalar' && field.type.nullable ? field.type : known.type,
          inEvery: known.inEvery + 1,
        });
    }
  }
  const hint = hints.get(schema);
  const order = hint && 'fieldOrder' in hint ? hint.fieldOrder : [...fields.keys()];
  const listed = new Set(order);
  const missing = [...fields.keys()].filter((name) => !listed.has(name));
  const unknown = order.filter((name) => !fields.has(name));
  if (missing.length > 0 || unknown.length > 0) {
    throw new Error(
      `${path}: the Parquet field order must list exactly the union's fields (missing: ${missing.join(', ') || 'none'}; not fields: ${unknown.join(', ') || 'none'})`,
    );
  }
  return {
    kind: 'tuple',
    fields: order.map((name) => {
      const field = fields.get(name) as { type: ParquetType; inEvery: number };
      return { name, type: field.inEvery < variants.length ? withNull(field.type) : field.type };
    }),
  };
}

function unionType(schema: z.ZodUnion, path: string): ParquetType {
  const options = schema.def.options as readonly z.ZodType[];
  if ((schema.def as { discriminator?: string }).discriminator !== undefined)
    return mergedVariants(schema, options, path);
  const nonNull = options.filter((option) => option.def.type !== 'null');
  const types = nonNull.map((option, index) => derive(option, `${path}|${index}`));
  const nullable = nonNull.length < options.length;
  const first = types[0];
  let type: ParquetType;
  // A string column takes the other options as their JSON text (plain text or content parts, text or number).
  if (types.some((candidate) => candidate.kind === 'scalar' && candidate.name === 'String')) type = jsonText;
  else if (first && types.every((candidate) => sameType(candidate, first))) type = first;
  else
    throw new Error(
      `${path}: no Parquet type for a union of ${types.map(renderType).join(' and ')}; mark it storedAsJsonText`,
    );
  return nullable ? withNull(type) : type;
}

function derive(schema: z.ZodType, path: string): ParquetType {
  const hint = hints.get(schema);
  if (hint && 'storage' in hint) return hint.storage === 'json-object' ? jsonObject : jsonText;
  const def = schema.def;
  switch (def.type) {
    case 'string':
    case 'enum':
      return jsonText;
    case 'literal':
      return literalType((schema as z.ZodLiteral).def.values, path);
    case 'number':
      return scalar((schema as z.ZodNumber).format === 'safeint' ? 'Int64' : 'Float64');
    case 'boolean':
      return scalar('Bool');
    case 'optional':
    case 'nullable':
      return withNull(derive((schema as z.ZodOptional | z.ZodNullable).def.innerType as z.ZodType, path));
    case 'array':
      return { kind: 'array', element: derive((schema as z.ZodArray).def.element as z.ZodType, `${path}[]`) };
    case 'object':
      return objectType(schema as z.ZodObject, path);
    case 'union':
      return unionType(schema as z.ZodUnion, path);
    case 'record':
    case 'unknown':
    case 'any':
      return jsonText;
    default:
      throw new Error(
        `${path}: no Parquet type for a zod ${def.type}; mark it storedAsJsonText or give it a plain type`,
      );
  }
}

function quoted(name: string): string {
  return /^[A-Za-z_][A-Za-z0-9_]*$/.test(name) ? name : `\`${name.replaceAll('\\', '\\\\').replaceAll('`', '\\`')}\``;
}

export function renderType(type: ParquetType): string {
  switch (type.kind) {
    case 'scalar':
      return type.nullable ? `Nullable(${type.name})` : type.name;
    case 'array':
      return `Array(${renderType(type.element)})`;
    case 'tuple':
      return `Tuple(${type.fields.map((field) => `${quoted(field.name)} ${renderType(field.type)}`).join(', ')})`;
  }
}

/**
 * The columns of a record schema (an object). `extraColumns` names the undeclared keys records carry with the
 * current options (RFT reference fields); their type is the schema's catchall.
 */
export function parquetColumns(
  schema: z.ZodType,
  extraColumns: readonly string[] = [],
): Array<{ name: string; type: ParquetType }> {
  if (schema.def.type !== 'object') throw new Error(`a record schema must be an object, not a zod ${schema.def.type}`);
  const object = schema as z.ZodObject;
  const columns = Object.entries(object.shape).map(([name, field]) => ({
    name,
    type: derive(field as z.ZodType, name),
  }));
  if (extraColumns.length === 0) return columns;
  const catchall = object.def.catchall as z.ZodType | undefined;
  if (catchall === undefined || catchall.def.type === 'never')
    throw new Error(`extra columns ${extraColumns.join(', ')} need a record schema with a catchall`);
  const declared = new Set(columns.map((column) => column.name));
  for (const name of extraColumns) {
    if (declared.has(name)) throw new Error(`extra column ${JSON.stringify(name)} is already a field of the record`);
    columns.push({ name, type: derive(catchall, name) });
  }
  return columns;
}

/**
 * The Parquet column paths of the leaves declared JSON, as ClickHouse names nested columns: tuple fields by name
 * (`prompt.raw_content`), list elements as `<column>.list.element`.
 */
export function jsonColumnPaths(columns: ReadonlyArray<{ name: string; type: ParquetType }>): string[] {
  const paths: string[] = [];
  const visit = (type: ParquetType, path: string): void => {
    switch (type.kind) {
      case 'scalar':
        if (type.json) paths.push(path);
        return;
      case 'array':
        visit(type.element, `${path}.list.element`);
        return;
      case 'tuple':
        for (const field of type.fields) visit(field.type, `${path}.${field.name}`);
    }
  };
  for (const column of columns) visit(column.type, column.name);
  return paths;
}

/** The `name Type, ...` structure ClickHouse reads the staged JSONL with and writes the Parquet file from. */
export function parquetStructure(schema: z.ZodType, extraColumns: readonly string[] = []): string {
  return parquetColumns(schema, extraColumns)
    .map((column) => `${quoted(column.name)} ${renderType(column.type)}`)
    .join(', ');
}
