/**
 * Stopping an HTTP server that keep-alive clients are hammering. `server.close()` alone stops accepting new
 * connections but keeps answering requests on open ones for as long as they keep coming (and waits for them to
 * end), so a busy exporter could hold a stopping receiver open indefinitely. Once draining:
 * - every response not yet started carries `Connection: close`, so its socket ends after it and the client has
 *   to reconnect to a listener that is gone;
 * - idle keep-alive sockets are closed at once, and each socket that becomes idle afterwards too;
 * - at the deadline, whatever is still open is destroyed (a client that stalls mid-request gets no answer, so
 *   nothing unacknowledged is lost: it retries against the next receiver).
 */
import type { Server, ServerResponse } from 'node:http';

export interface ConnectionDrain {
  /** Stops accepting and closes every connection as described above; resolves once all are closed. */
  drain(timeoutMillis: number): Promise<void>;
}

export function trackConnections(server: Server): ConnectionDrain {
  const active = new Set<ServerResponse>();
  let draining = false;
  const closeIdleSoon = () => setImmediate(() => server.closeIdleConnections());

  // Prepended so it runs before the request handler, which may answer synchronously.
  server.prependListener('request', (_request, response: ServerResponse) => {
    if (draining) response.setHeader('Connection', 'close');
    active.add(response);
    response.once('close', () => {
      active.delete(response);
      if (draining) closeIdleSoon();
    });
  });

  return {
    async drain(timeoutMillis) {
      draining = true;
      for (const response of active) if (!response.headersSent) response.setHeader('Connection', 'close');
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      server.closeIdleConnections();
      let timer: NodeJS.Timeout | undefined;
      const deadline = new Promise<'deadline'>((resolve) => {
        timer = setTimeout(() => resolve('deadline'), timeoutMillis);
      });
      const outcome = await Promise.race([closed, deadline]);
      clearTimeout(timer);
      if (outcome === 'deadline') {
        server.closeAllConnections();
        await closed;
      }
    },
  };
}
