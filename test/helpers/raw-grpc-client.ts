/** A gRPC client that sends raw OTLP Export bytes, for asserting status codes the OTel exporters would retry away. */
import { Metadata, credentials, makeGenericClientConstructor, type ServiceError } from '@grpc/grpc-js';

const identity = (value: Buffer): Buffer => value;

export interface RawExportOutcome {
  error: ServiceError | null;
  response: Buffer | undefined;
}

export function rawGrpcExport(address: string, body: Buffer, headers: Record<string, string> = {}, signal: 'traces' | 'logs' = 'traces'): Promise<RawExportOutcome> {
  const service = signal === 'traces' ? 'trace.v1.TraceService' : 'logs.v1.LogsService';
  const Client = makeGenericClientConstructor(
    {
      Export: {
        path: `/opentelemetry.proto.collector.${service}/Export`,
        requestStream: false,
        responseStream: false,
        requestSerialize: identity,
        requestDeserialize: identity,
        responseSerialize: identity,
        responseDeserialize: identity,
      },
    },
    'OtlpExport',
  );
  const client = new Client(address, credentials.createInsecure());
  const metadata = new Metadata();
  for (const [key, value] of Object.entries(headers)) metadata.set(key, value);
  return new Promise((resolve) => {
    (client as unknown as { Export: (b: Buffer, m: Metadata, cb: (e: ServiceError | null, r?: Buffer) => void) => void }).Export(
      body,
      metadata,
      (error, response) => {
        client.close();
        resolve({ error, response });
      },
    );
  });
}
