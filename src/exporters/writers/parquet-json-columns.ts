/**
 * Declares columns of JSON text as Parquet's JSON logical type in a file ClickHouse wrote. ClickHouse writes a
 * `String` column as STRING and has no setting to say that the text is JSON; its own `JSON` type would say so,
 * but re-encodes every value on the way (drops `null` members and empty objects, sorts keys), which training
 * data cannot afford. So the converter writes the text verbatim and this module changes the annotation of the
 * chosen leaves in the footer: `converted_type` UTF8 -> JSON and `logicalType` STRING -> JSON. Both encodings
 * have the same length in Thrift's compact protocol, so the bytes are patched in place: no offset in the file
 * moves and the data pages are untouched. Readers that map the JSON type (pyarrow reads it as `arrow.json`,
 * Hugging Face `datasets` as its `Json()` feature) then give back objects instead of text.
 * Anything unexpected (an encrypted footer, a leaf that is not an annotated string, a path the file lacks)
 * fails before a byte is written.
 */
import { open } from 'node:fs/promises';
import { field, readThriftStruct, shortFieldHeader, thriftStructType, type ThriftValue } from './thrift-compact.ts';

// parquet.thrift: FileMetaData.schema = 2; SchemaElement.type = 1, name = 4, num_children = 5,
// converted_type = 6, logicalType = 10; ConvertedType UTF8 = 0, JSON = 19; LogicalType STRING = 1, JSON = 12.
const fileSchemaField = 2;
const elementField = { type: 1, name: 4, numChildren: 5, convertedType: 6, logicalType: 10 } as const;
const byteArrayType = 6n;
const convertedUtf8 = 0n;
const convertedJsonZigzag = 19 * 2;
const logicalStringField = 1;
const logicalJsonField = 12;

interface Leaf {
  path: string;
  element: ThriftValue;
}

function leaves(schema: ThriftValue[], footer: Uint8Array): Leaf[] {
  const decoder = new TextDecoder();
  const result: Leaf[] = [];
  let index = 1; // element 0 is the root
  const walk = (prefix: string, count: number) => {
    for (let child = 0; child < count; child++) {
      const element = schema[index++];
      if (element === undefined) throw new Error('the Parquet schema lists fewer elements than its groups declare');
      const name = field(element, elementField.name)?.value;
      const label = name?.kind === 'binary' ? decoder.decode(footer.subarray(name.start, name.end)) : '';
      const path = prefix === '' ? label : `${prefix}.${label}`;
      const children = field(element, elementField.numChildren)?.value;
      if (children?.kind === 'integer' && children.value > 0n) walk(path, Number(children.value));
      else result.push({ path, element });
    }
  };
  const root = schema[0];
  const rootChildren = field(root, elementField.numChildren)?.value;
  walk('', rootChildren?.kind === 'integer' ? Number(rootChildren.value) : 0);
  return result;
}

/** The byte changes that turn one STRING leaf into a JSON leaf. */
function jsonPatches(leaf: Leaf, footer: Uint8Array): Array<{ offset: number; byte: number }> {
  const physical = field(leaf.element, elementField.type)?.value;
  if (physical?.kind !== 'integer' || physical.value !== byteArrayType)
    throw new Error(`Parquet column ${leaf.path} is not a byte array, so it cannot hold JSON text`);
  const patches: Array<{ offset: number; byte: number }> = [];
  const converted = field(leaf.element, elementField.convertedType)?.value;
  if (converted !== undefined) {
    if (converted.kind !== 'integer' || converted.value !== convertedUtf8 || converted.end - converted.start !== 1)
      throw new Error(`Parquet column ${leaf.path} is not annotated UTF8`);
    patches.push({ offset: converted.start, byte: convertedJsonZigzag });
  }
  const logical = field(leaf.element, elementField.logicalType)?.value;
  const member = logical?.kind === 'struct' ? logical.fields[0] : undefined;
  const shortString = shortFieldHeader(logicalStringField, thriftStructType);
  if (member?.id !== logicalStringField || footer[member.headerOffset] !== shortString)
    throw new Error(`Parquet column ${leaf.path} has no STRING logical type to turn into JSON`);
  patches.push({ offset: member.headerOffset, byte: shortFieldHeader(logicalJsonField, thriftStructType) });
  return patches;
}

/** Marks the leaves at `paths` (Parquet column paths such as `messages.list.element`) as JSON, in place. */
export async function markJsonColumns(path: string, paths: readonly string[]): Promise<void> {
  if (paths.length === 0) return;
  const handle = await open(path, 'r+');
  try {
    const { size } = await handle.stat();
    const tail = Buffer.alloc(8);
    await handle.read(tail, 0, 8, size - 8);
    if (tail.toString('latin1', 4) !== 'PAR1') throw new Error(`${path} is not a plaintext Parquet file`);
    const footerLength = tail.readUInt32LE(0);
    const footerOffset = size - 8 - footerLength;
    const footer = Buffer.alloc(footerLength);
    await handle.read(footer, 0, footerLength, footerOffset);
    const { struct } = readThriftStruct(footer);
    const schema = field(struct, fileSchemaField)?.value;
    if (schema?.kind !== 'list') throw new Error(`${path} has no Parquet schema in its footer`);
    const byPath = new Map(leaves(schema.elements, footer).map((leaf) => [leaf.path, leaf]));
    const patches = paths.flatMap((wanted) => {
      const leaf = byPath.get(wanted);
      if (!leaf) throw new Error(`${path} has no Parquet column ${wanted} (columns: ${[...byPath.keys()].join(', ')})`);
      return jsonPatches(leaf, footer);
    });
    for (const patch of patches) footer[patch.offset] = patch.byte;
    await handle.write(footer, 0, footerLength, footerOffset);
  } finally {
    await handle.close();
  }
}
