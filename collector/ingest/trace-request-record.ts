/**
 * An acknowledged OTLP trace export as the write-ahead log keeps it: the request body as it arrived (after
 * decompression), with what is needed to decode it again exactly as at acknowledgement. The receiver logs this
 * instead of finished rows so that a client waits only for decoding (its validation) and one fsync; mapping and
 * row building, most of the receiver's CPU, happen in the store writer after the acknowledgement.
 *
 * Payload: [u8 format version = 1][u8 encoding: 0 protobuf, 1 JSON][u32 maxAttributeBytes][u16 tenant bytes]
 * [tenant, UTF-8][body], little-endian. The attribute limit is the one the request was accepted under, so a
 * restart with a smaller limit cannot reject spans that were already acknowledged.
 */
import type { DecodedTraces } from '../../src/model/otlp.ts';
import { decodeTracesJson, decodeTracesProtobuf, type DecodeLimits, type OtlpEncoding } from '../otlp/index.ts';
import type { WalRecord } from './wal-record-format.ts';

const formatVersion = 1;
const fixedHeaderBytes = 8;

export interface TraceRequest {
  tenant: string;
  encoding: OtlpEncoding;
  limits: DecodeLimits;
  body: Buffer;
}

/** The log record of an accepted request whose decoding kept `spans` spans. */
export function traceRequestRecord(request: TraceRequest, spans: number): WalRecord {
  const tenant = Buffer.from(request.tenant, 'utf8');
  if (tenant.length > 0xffff) throw new Error(`tenant name of ${tenant.length} bytes is over the log's 65535`);
  const header = Buffer.allocUnsafe(fixedHeaderBytes + tenant.length);
  header.writeUInt8(formatVersion, 0);
  header.writeUInt8(request.encoding === 'protobuf' ? 0 : 1, 1);
  header.writeUInt32LE(request.limits.maxAttributeBytes, 2);
  header.writeUInt16LE(tenant.length, 6);
  tenant.copy(header, fixedHeaderBytes);
  return { table: 'otlp_traces', rows: spans, payload: Buffer.concat([header, request.body]) };
}

/** Reads a record's request back; throws when the payload is not one (a log written by a newer release). */
export function readTraceRequest(payload: Buffer): TraceRequest {
  if (payload.length < fixedHeaderBytes || payload.readUInt8(0) !== formatVersion) {
    const format = payload.length === 0 ? 'nothing' : `format ${payload.readUInt8(0)}`;
    throw new Error(`write-ahead log trace request of ${format} is not one this release reads`);
  }
  const tenantBytes = payload.readUInt16LE(6);
  return {
    encoding: payload.readUInt8(1) === 0 ? 'protobuf' : 'json',
    limits: { maxAttributeBytes: payload.readUInt32LE(2) },
    tenant: payload.toString('utf8', fixedHeaderBytes, fixedHeaderBytes + tenantBytes),
    body: payload.subarray(fixedHeaderBytes + tenantBytes),
  };
}

/** The spans of a logged request: the same decoder and limits give the same spans it was acknowledged with. */
export function decodeTraceRequest(request: TraceRequest): DecodedTraces {
  return request.encoding === 'protobuf'
    ? decodeTracesProtobuf(request.body, request.limits)
    : decodeTracesJson(request.body, request.limits);
}
