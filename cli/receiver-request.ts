/**
 * One JSON request from a command to the receiver's API, with the token and OTEL_EXPORTER_OTLP_HEADERS-style
 * headers the read location resolved, and errors that name the fix: `stats`, `delete` and `import` all go through it.
 */
export interface ReceiverTarget {
  /** `http://host:port` of the receiver. */
  url: string;
  token?: string | undefined;
  headers?: Record<string, string>;
}

/** The answer's body text; throws an Error naming the receiver, the status and its message. */
export async function callReceiver(
  target: ReceiverTarget,
  method: 'GET' | 'POST' | 'DELETE',
  path: string,
  body?: unknown,
): Promise<string> {
  const base = target.url.replace(/\/+$/, '');
  const headers: Record<string, string> = { accept: 'application/json', ...target.headers };
  // Every state-changing API call needs the JSON content type (collector/http/browser-guards.ts).
  if (method !== 'GET') headers['content-type'] = 'application/json';
  if (target.token) headers['authorization'] = `Bearer ${target.token}`;
  let response: Response;
  try {
    response = await fetch(`${base}${path}`, {
      method,
      headers,
      ...(method === 'GET' ? {} : { body: JSON.stringify(body ?? {}) }),
      signal: AbortSignal.timeout(120_000),
    });
  } catch (error) {
    throw new Error(
      `cannot reach the receiver at ${base}: ${(error as Error).message}. Start it (trajectories serve) or pass --receiver`,
      { cause: error },
    );
  }
  const text = await response.text();
  if (!response.ok) {
    const hint = response.status === 404 ? ' (a receiver older than this command lacks the route: upgrade it)' : '';
    throw new Error(`receiver answered ${response.status} for ${method} ${path}: ${text.slice(0, 500)}${hint}`);
  }
  return text;
}
