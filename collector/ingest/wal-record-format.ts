/**
 * The write-ahead log's record format, and how to find whole records in a segment that may be damaged.
 *
 * Record: [u32 payload length][u32 crc32 of the rest][u8 table][u32 row count][payload], little-endian. The crc
 * covers the table, the row count and the payload; the length is checked by where the record ends (a record
 * must end inside the segment and its crc must hold there).
 *
 * Records carry no sync marker, so after a damaged record the next one is found by trying every later offset as
 * a header: its table index must exist, its length must end inside the segment and its crc must hold. That is
 * cheap (almost every offset is rejected by its table byte, since row payloads are JSON text, whose bytes are
 * never a table index, or by a length running past the segment, in the protobuf of logged requests) but not
 * proof: a false match needs a 32-bit crc to agree by chance, improbable rather than impossible. What it does
 * promise is progress and a count: every bad record is either skipped and counted as damage (anywhere it has a
 * whole record after it, or at the end of a segment when its length is not cut short) or, only at the end of the
 * newest segment and only when its length runs past the end of the file, cut as a torn write (with a warning,
 * not a damage count). The reader skips damage the same way while running, so it never stops at a bad record.
 */
import { crc32 } from 'node:zlib';

// A record's table is stored as its index here: append new tables, never reorder. `otlp_traces` is not a
// ClickHouse table: its records hold whole trace export requests, which the store writer turns into `contents`
// and `spans` rows (collector/ingest/trace-request-record.ts).
export const walTables = ['spans', 'events', 'contents', 'otlp_traces'] as const;
export type WalTable = (typeof walTables)[number];

export interface WalRecord {
  table: WalTable;
  rows: number;
  payload: Buffer;
}

export const recordHeaderBytes = 13;

function recordChecksum(header: Buffer, payload: Buffer): number {
  return crc32(payload, crc32(header.subarray(8, recordHeaderBytes)));
}

export function encodeRecordHeader(record: WalRecord): Buffer {
  const header = Buffer.allocUnsafe(recordHeaderBytes);
  header.writeUInt32LE(record.payload.length, 0);
  header.writeUInt8(walTables.indexOf(record.table), 8);
  header.writeUInt32LE(record.rows, 9);
  header.writeUInt32LE(recordChecksum(header, record.payload), 4);
  return header;
}

/**
 * What starts at `offset` of `content`, whose bytes end at `contentEnd` of a segment whose durable data ends at
 * `segmentEnd` (both relative to `content`): a whole valid record (its length), a record that continues past
 * `content` but fits in the segment (`incomplete`: read more), or `bad` (a torn or corrupted record).
 */
export function recordAt(content: Buffer, offset: number, segmentEnd = content.length): number | 'incomplete' | 'bad' {
  if (offset + recordHeaderBytes > content.length)
    return offset + recordHeaderBytes > segmentEnd ? 'bad' : 'incomplete';
  if (content.readUInt8(offset + 8) >= walTables.length) return 'bad';
  const end = offset + recordHeaderBytes + content.readUInt32LE(offset);
  if (end > segmentEnd) return 'bad';
  if (end > content.length) return 'incomplete';
  const header = content.subarray(offset, offset + recordHeaderBytes);
  if (recordChecksum(header, content.subarray(offset + recordHeaderBytes, end)) !== content.readUInt32LE(offset + 4))
    return 'bad';
  return end - offset;
}

export function decodeRecord(content: Buffer, offset: number, length: number): WalRecord {
  return {
    table: walTables[content.readUInt8(offset + 8)] ?? 'spans',
    rows: content.readUInt32LE(offset + 9),
    payload: content.subarray(offset + recordHeaderBytes, offset + length),
  };
}

/** The first offset at or after `from` where a whole valid record starts, or undefined when none does. */
export function nextValidRecord(content: Buffer, from: number): number | undefined {
  for (let offset = from; offset + recordHeaderBytes <= content.length; offset++) {
    if (typeof recordAt(content, offset) === 'number') return offset;
  }
  return undefined;
}

/** Bytes between two whole records that are not a whole record: what the log has to skip, and report. */
export interface DamagedRange {
  start: number;
  end: number;
  /** The damaged record's own row count, when its header is intact (its length leads exactly to the next record). */
  rows?: number;
}

export function damagedRange(content: Buffer, start: number, end: number): DamagedRange {
  const headerIntact =
    start + recordHeaderBytes <= end && start + recordHeaderBytes + content.readUInt32LE(start) === end;
  return headerIntact ? { start, end, rows: content.readUInt32LE(start + 9) } : { start, end };
}

export function describeRows(range: DamagedRange): string {
  return range.rows === undefined ? 'an unknown number of rows (the header is damaged too)' : `${range.rows} rows`;
}

/**
 * Whether a bad record starting at `start` is what a write cut short leaves (its header, or the length it
 * declares, runs past the end of `content`), rather than a record written whole and damaged since.
 */
export function isCutShort(content: Buffer, start: number): boolean {
  return (
    start + recordHeaderBytes > content.length ||
    start + recordHeaderBytes + content.readUInt32LE(start) > content.length
  );
}

export interface SegmentScan {
  /** Where the segment's records and damage end: what follows is a record cut short (`tornBytes` of it). */
  keptEnd: number;
  /**
   * Damaged bytes to skip and report: followed by whole records, or at the end of the segment but not cut short
   * (a record written whole, then damaged).
   */
  damaged: DamagedRange[];
  /** Bytes after `keptEnd`: a record cut short, as a write interrupted by a crash or power loss leaves it. */
  tornBytes: number;
  /** The first record start (or `keptEnd`) at or after the offset asked for with `alignTo`. */
  aligned: number;
}

/**
 * Walks a segment's records. A bad record followed by a whole one is damage to skip; so is a bad record with
 * nothing whole after it unless it is cut short, which is a torn tail (`keptEnd` stops before it).
 */
export function scanSegment(content: Buffer, alignTo = 0): SegmentScan {
  const damaged: DamagedRange[] = [];
  let offset = 0;
  let aligned: number | undefined;
  while (offset < content.length) {
    if (aligned === undefined && offset >= alignTo) aligned = offset;
    const found = recordAt(content, offset);
    if (typeof found === 'number') {
      offset += found;
      continue;
    }
    const next = nextValidRecord(content, offset + 1);
    if (next === undefined && isCutShort(content, offset)) break;
    damaged.push(damagedRange(content, offset, next ?? content.length));
    offset = next ?? content.length;
  }
  return { keptEnd: offset, damaged, tornBytes: content.length - offset, aligned: aligned ?? offset };
}
