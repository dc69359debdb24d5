/**
 * The store's floor: the insert rate of one String column holding each span's protobuf bytes alone (base64 in
 * JSONEachRow, the only way raw bytes fit a JSON string), through the same `store.insertJsonEachRow` and in the
 * same batches as the receiver's rows. No mapping, no columns, no materialized views: what the embedded
 * ClickHouse costs per span before the row design adds anything, so a receiver's rate can be read as a fraction
 * of it.
 */
import { ProtobufReader, WIRE_LENGTH_DELIMITED } from '../collector/otlp/protobuf-reader.ts';
import type { Store } from '../src/store/client.ts';

const floorTable = 'bench_span_protobufs';

/** The length-delimited fields numbered `field` of a message, as views into `bytes`; other fields skipped. */
function fieldsOf(bytes: Uint8Array, field: number): Uint8Array[] {
  const found: Uint8Array[] = [];
  const reader = new ProtobufReader(bytes);
  while (reader.hasMore()) {
    const tag = reader.readTag();
    if (tag >>> 3 === field && (tag & 7) === WIRE_LENGTH_DELIMITED) {
      const length = reader.readLength();
      found.push(bytes.subarray(reader.pos, reader.pos + length));
      reader.pos += length;
    } else reader.skipField(tag);
  }
  return found;
}

/** Each Span message's bytes in an ExportTraceServiceRequest (resource_spans = 1, scope_spans = 2, spans = 2). */
export function spanProtobufs(body: Uint8Array): Uint8Array[] {
  return fieldsOf(body, 1).flatMap((resourceSpans) =>
    fieldsOf(resourceSpans, 2).flatMap((scopeSpans) => fieldsOf(scopeSpans, 2)),
  );
}

export interface FloorResult {
  spansPerSecond: number;
  /** Protobuf span bytes per second (the base64 text inserted is 4/3 of it). */
  megabytesPerSecond: number;
  spans: number;
}

/**
 * Inserts every span of `bodies` as one row of one String column, grouped into the given batches of bodies (the
 * batches the receiver's rows were inserted in). The JSON text is built before the clock starts.
 */
export async function measureStoreFloor(store: Store, bodies: Uint8Array[], batches: number[][]): Promise<FloorResult> {
  await store.client.command({ query: `DROP TABLE IF EXISTS ${floorTable}` });
  await store.client.command({
    query: `CREATE TABLE ${floorTable} (span String CODEC(ZSTD(3))) ENGINE = MergeTree ORDER BY tuple()`,
  });
  let spans = 0;
  let bytes = 0;
  const payloads = batches.map((batch) => {
    const lines: string[] = [];
    for (const index of batch) {
      for (const span of spanProtobufs(bodies[index]!)) {
        spans++;
        bytes += span.byteLength;
        lines.push(`{"span":"${Buffer.from(span.buffer, span.byteOffset, span.byteLength).toString('base64')}"}`);
      }
    }
    return Buffer.from(lines.join('\n') + '\n');
  });
  const started = performance.now();
  for (const payload of payloads) await store.insertJsonEachRow(floorTable, payload);
  const seconds = (performance.now() - started) / 1000;
  await store.client.command({ query: `DROP TABLE ${floorTable}` });
  return { spansPerSecond: spans / seconds, megabytesPerSecond: bytes / 1024 / 1024 / seconds, spans };
}
