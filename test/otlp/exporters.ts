/**
 * Runs spans and log records through the real OTLP/HTTP exporters (protobuf and JSON flavours) against a
 * capture server and returns the request body each one sent.
 */

import { ExportResultCode, type ExportResult } from '@opentelemetry/core';
import { OTLPLogExporter as JsonLogExporter } from '@opentelemetry/exporter-logs-otlp-http';
import { OTLPLogExporter as ProtobufLogExporter } from '@opentelemetry/exporter-logs-otlp-proto';
import { OTLPTraceExporter as JsonTraceExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { OTLPTraceExporter as ProtobufTraceExporter } from '@opentelemetry/exporter-trace-otlp-proto';
import type { ReadableLogRecord } from '@opentelemetry/sdk-logs';
import type { ReadableSpan } from '@opentelemetry/sdk-trace-base';
import type { CaptureServer } from './capture-server.ts';

export type Encoding = 'protobuf' | 'json';

interface Exporter<Item> {
  export(items: Item[], done: (result: ExportResult) => void): void;
  shutdown(): Promise<void>;
}

async function runExport<Item>(server: CaptureServer, exporter: Exporter<Item>, items: Item[]): Promise<Buffer> {
  const before = server.requests.length;
  await new Promise<void>((resolve, reject) => {
    exporter.export(items, (result) => {
      if (result.code === ExportResultCode.SUCCESS) resolve();
      else reject(result.error ?? new Error('export failed'));
    });
  });
  await exporter.shutdown();
  const captured = server.requests.slice(before);
  if (captured.length !== 1) throw new Error(`expected one request, captured ${captured.length}`);
  return captured[0]!.body;
}

export function exportSpans(server: CaptureServer, encoding: Encoding, spans: ReadableSpan[]): Promise<Buffer> {
  const url = `${server.baseUrl}/v1/traces`;
  const exporter = encoding === 'protobuf' ? new ProtobufTraceExporter({ url }) : new JsonTraceExporter({ url });
  return runExport(server, exporter, spans);
}

export function exportLogs(server: CaptureServer, encoding: Encoding, records: ReadableLogRecord[]): Promise<Buffer> {
  const url = `${server.baseUrl}/v1/logs`;
  const exporter = encoding === 'protobuf' ? new ProtobufLogExporter({ url }) : new JsonLogExporter({ url });
  return runExport(server, exporter, records);
}
