/**
 * Tool definitions in OpenAI's `tools` shape, from the shapes conventions record: OpenAI's own
 * (`{type:'function', function:{...}}`), GenAI semconv's flat `{type, name, description, parameters}`, the AI SDK's
 * `{name, description, inputSchema}` and Anthropic's `{name, input_schema}`.
 */
import type { ToolDefinition } from '../model/message.ts';
import { asRecord, asString, parseJson } from './attributes.ts';

export function toToolDefinition(raw: unknown): ToolDefinition | undefined {
  const record = asRecord(parseJson(raw));
  if (record === undefined) return undefined;
  const source = asRecord(record.function) ?? record;
  const name = asString(source.name);
  if (name === undefined) return undefined;
  const definition: ToolDefinition = { type: 'function', function: { name } };
  const description = asString(source.description);
  if (description !== undefined) definition.function.description = description;
  const parameters = asRecord(parseJson(source.parameters ?? source.inputSchema ?? source.input_schema));
  if (parameters !== undefined) definition.function.parameters = parameters;
  return definition;
}

/** A list of tool definitions from an array (or a JSON array string); entries without a name are skipped. */
export function toToolDefinitions(raw: unknown): ToolDefinition[] {
  const parsed = parseJson(raw);
  if (!Array.isArray(parsed)) return [];
  const out: ToolDefinition[] = [];
  for (const item of parsed) {
    const definition = toToolDefinition(item);
    if (definition !== undefined) out.push(definition);
  }
  return out;
}
