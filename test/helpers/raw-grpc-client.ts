/** A gRPC client that sends raw OTLP Export bytes, for asserting status codes the OTel exporters would retry away. */
import { Metadata, credentials, makeGenericClientConstructor, type ServiceError } from '@grpc/grpc-js';
import { exportService } from '../../collector/grpc/server.ts';

export interface RawExportOutcome {
  error: ServiceError | null;
  response: Buffer | undefined;
}

export function rawGrpcExport(
  address: string,
  body: Buffer,
  headers: Record<string, string> = {},
  signal: 'traces' | 'logs' = 'traces',
): Promise<RawExportOutcome> {
  const Client = makeGenericClientConstructor(exportService(signal), 'OtlpExport');
  const client = new Client(address, credentials.createInsecure());
  const metadata = new Metadata();
  for (const [key, value] of Object.entries(headers)) metadata.set(key, value);
  return new Promise((resolve) => {
    (
      client as unknown as {
        Export: (b: Buffer, m: Metadata, cb: (e: ServiceError | null, r?: Buffer) => void) => void;
      }
    ).Export(body, metadata, (error, response) => {
      client.close();
      resolve({ error, response });
    });
  });
}
