/**
 * Sends a JSON body that may be large without holding the event loop: the body is serialized a piece at a time
 * (the elements of its arrays one by one), written in chunks that wait for the socket to drain, and the loop gets
 * a turn every few milliseconds. The bytes are those of `JSON.stringify(body)` for the plain data the API serves
 * (objects, arrays, strings, numbers, booleans, null; no toJSON, no bigint). A body that fits in one chunk goes out
 * as `sendJson` sends it, with Content-Length; a larger one is chunked. A client that stops taking the body for
 * `stallMillis` has its connection closed, so it cannot hold the read (and a heavy-read slot) open forever.
 */
import type { ServerResponse } from 'node:http';
import { performance } from 'node:perf_hooks';
import { setImmediate as nextTurn } from 'node:timers/promises';

const chunkBytes = 256 * 1024;
/** How long serialization may run before the event loop gets a turn. */
const sliceMillis = 5;

export interface StreamJsonOptions {
  /** Longest wait for the socket to drain before the connection is closed (default 30 s). */
  stallMillis?: number;
}

/** Arrays with more elements than this are serialized element by element; smaller values in one stringify. */
const wholeArrayElements = 64;

export class JsonStreamWriter {
  private readonly pieces: string[] = [];
  private pendingLength = 0;
  private started = false;
  private sliceStart = performance.now();
  private readonly stallMillis: number;

  constructor(
    private readonly response: ServerResponse,
    private readonly status: number,
    options: StreamJsonOptions = {},
  ) {
    this.stallMillis = options.stallMillis ?? 30_000;
  }

  async send(body: unknown): Promise<void> {
    await this.value(body);
    const rest = this.pieces.join('');
    if (!this.started) {
      this.response.writeHead(this.status, {
        'Content-Type': 'application/json',
        'Content-Length': Buffer.byteLength(rest),
      });
      this.response.end(rest);
      return;
    }
    this.response.end(rest);
  }

  private async push(text: string): Promise<void> {
    this.pieces.push(text);
    this.pendingLength += text.length;
    if (this.pendingLength >= chunkBytes) await this.flush();
    else if (performance.now() - this.sliceStart >= sliceMillis) await this.breathe();
  }

  private async flush(): Promise<void> {
    if (!this.started) {
      this.response.writeHead(this.status, { 'Content-Type': 'application/json' });
      this.started = true;
    }
    const text = this.pieces.join('');
    this.pieces.length = 0;
    this.pendingLength = 0;
    if (!this.response.write(text)) {
      // A client that stopped reading (or went away) must not keep the body in memory: wait for the socket, and
      // give up on a client that does not read on, which would otherwise hold this read's memory and slot.
      if ((await drainedOrClosed(this.response, this.stallMillis)) === 'stalled') this.response.destroy();
      if (this.response.destroyed) throw new ClientGoneError();
    }
    await this.breathe();
  }

  private async breathe(): Promise<void> {
    await nextTurn();
    this.sliceStart = performance.now();
    if (this.response.destroyed) throw new ClientGoneError();
  }

  private async value(value: unknown): Promise<void> {
    if (Array.isArray(value) && value.length > wholeArrayElements) {
      await this.push('[');
      for (let index = 0; index < value.length; index++) {
        if (index > 0) await this.push(',');
        const element: unknown = value[index];
        // JSON.stringify writes null for what it cannot represent inside an array.
        await this.value(element === undefined || typeof element === 'function' ? null : element);
      }
      await this.push(']');
      return;
    }
    if (typeof value === 'object' && value !== null && !Array.isArray(value) && hasLargeArray(value)) {
      await this.push('{');
      let first = true;
      for (const [key, field] of Object.entries(value)) {
        if (field === undefined || typeof field === 'function' || typeof field === 'symbol') continue;
        await this.push(`${first ? '' : ','}${JSON.stringify(key)}:`);
        first = false;
        await this.value(field);
      }
      await this.push('}');
      return;
    }
    await this.push(JSON.stringify(value));
  }
}

/** Resolves when the socket wants more (or closed), or `stalled` after `stallMillis` without either. */
export function drainedOrClosed(response: ServerResponse, stallMillis: number): Promise<'drained' | 'stalled'> {
  return new Promise((resolve) => {
    const done = (outcome: 'drained' | 'stalled') => {
      clearTimeout(timer);
      response.off('drain', onDrain);
      response.off('close', onDrain);
      resolve(outcome);
    };
    const onDrain = () => done('drained');
    const timer = setTimeout(() => done('stalled'), stallMillis);
    response.on('drain', onDrain);
    response.on('close', onDrain);
  });
}

/** An object worth taking apart: one of its own fields is an array long enough to serialize piece by piece. */
function hasLargeArray(value: object): boolean {
  for (const field of Object.values(value)) {
    if (Array.isArray(field) && field.length > wholeArrayElements) return true;
  }
  return false;
}

/** The client closed the connection, or stopped reading, before the body was written; nothing is left to answer. */
export class ClientGoneError extends Error {
  constructor() {
    super('the client closed the connection before the response was written');
    this.name = 'ClientGoneError';
  }
}

/** `sendJson` for bodies that may be large (a long trajectory, a big trace). */
export async function streamJson(
  response: ServerResponse,
  status: number,
  body: unknown,
  options: StreamJsonOptions = {},
): Promise<void> {
  try {
    await new JsonStreamWriter(response, status, options).send(body);
  } catch (error) {
    if (error instanceof ClientGoneError) return;
    throw error;
  }
}
