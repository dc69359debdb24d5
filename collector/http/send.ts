/** Response helpers shared by the OTLP routes and the JSON API. */
import type { ServerResponse } from 'node:http';

export function sendJson(
  response: ServerResponse,
  status: number,
  body: unknown,
  headers: Record<string, string> = {},
): void {
  const text = JSON.stringify(body);
  response.writeHead(status, {
    'Content-Type': 'application/json',
    'Content-Length': Buffer.byteLength(text),
    ...headers,
  });
  response.end(text);
}

export function sendBytes(
  response: ServerResponse,
  status: number,
  contentType: string,
  body: Uint8Array | string,
  headers: Record<string, string> = {},
): void {
  const length = typeof body === 'string' ? Buffer.byteLength(body) : body.byteLength;
  response.writeHead(status, { 'Content-Type': contentType, 'Content-Length': length, ...headers });
  response.end(body);
}
