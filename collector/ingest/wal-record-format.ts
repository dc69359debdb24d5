/**
 * The write-ahead log's record format, and how to find whole records in a segment that may be damaged.
 *
 * Record: [u32 payload length][u32 crc32 of the rest][u8 table][u32 row count][payload], little-endian. The crc
 * covers the table, the row count and the payload; the length is checked by where the record ends (a record
 * must end inside the segment and its crc must hold there).
 *
 * Records carry no sync marker, so after a damaged record the next one is found by trying every later offset as
 * a header: its table index must exist, its length must end inside the segment and its crc must hold. A false
 * match needs a random 32-bit crc to agree (and row payloads are JSON text, whose bytes are never a table index),
 * so resynchronising this way is safe, and cheap: almost every offset is rejected by its table byte.
 */
import { crc32 } from 'node:zlib';

// A record's table is stored as its index here: append new tables, never reorder.
export const walTables = ['spans', 'events', 'contents'] as const;
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

export interface SegmentScan {
  /** End of the last whole record: where appends continue in the newest segment. */
  validEnd: number;
  /** Damaged bytes followed by whole records (corruption, not a torn write). */
  damaged: DamagedRange[];
  /** The first record start (or `validEnd`) at or after the offset asked for with `alignTo`. */
  aligned: number;
}

/**
 * Walks a segment's records. A bad record followed by a whole one is damage to skip; a bad record with nothing
 * whole after it is the tail (`validEnd` stops before it): a torn write in the newest segment.
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
    if (next === undefined) break;
    damaged.push(damagedRange(content, offset, next));
    offset = next;
  }
  return { validEnd: offset, damaged, aligned: aligned ?? offset };
}
