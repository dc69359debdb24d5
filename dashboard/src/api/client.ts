/**
 * The dashboard's one way to the receiver: the public HTTP API on the same origin, with the bearer token the user
 * typed (kept for the browser session only). A 401 clears the token and tells the token gate to ask again, so a
 * revoked or wrong token lands the user at the prompt with the receiver's reason, never at a blank page.
 */
const tokenKey = 'trajectories.token';

export class ApiError extends Error {
  readonly status: number;
  constructor(status: number, message: string) {
    super(message);
    this.name = 'ApiError';
    this.status = status;
  }
}

type UnauthorizedListener = (message: string) => void;
const unauthorizedListeners = new Set<UnauthorizedListener>();

export function onUnauthorized(listener: UnauthorizedListener): () => void {
  unauthorizedListeners.add(listener);
  return () => unauthorizedListeners.delete(listener);
}

export function storedToken(): string | null {
  return sessionStorage.getItem(tokenKey);
}

export function storeToken(token: string | null): void {
  if (token === null) sessionStorage.removeItem(tokenKey);
  else sessionStorage.setItem(tokenKey, token);
}

function headers(extra: Record<string, string> = {}): Record<string, string> {
  const token = storedToken();
  return token ? { ...extra, Authorization: `Bearer ${token}` } : extra;
}

async function errorOf(response: Response): Promise<ApiError> {
  let message = `${response.status} ${response.statusText}`;
  try {
    const body = (await response.json()) as { error?: unknown };
    if (typeof body.error === 'string') message = body.error;
  } catch {
    // Not a JSON error body: the status line says what there is to say.
  }
  if (response.status === 401) {
    storeToken(null);
    for (const listener of unauthorizedListeners) listener(message);
  }
  return new ApiError(response.status, message);
}

/** A query string from the set values of `params` (undefined and '' are left out). */
export function queryString(params: Record<string, string | number | boolean | undefined | null>): string {
  const search = new URLSearchParams();
  for (const [key, value] of Object.entries(params)) {
    if (value !== undefined && value !== null && value !== '') search.set(key, String(value));
  }
  const text = search.toString();
  return text ? `?${text}` : '';
}

export async function fetchResponse(path: string, init: RequestInit = {}, signal?: AbortSignal): Promise<Response> {
  const response = await fetch(path, {
    ...init,
    headers: headers(init.headers as Record<string, string> | undefined),
    signal: signal ?? null,
  });
  if (!response.ok) throw await errorOf(response);
  return response;
}

export async function getJson<T>(path: string, signal?: AbortSignal): Promise<T> {
  return (await (await fetchResponse(path, {}, signal)).json()) as T;
}

export async function sendJson<T>(method: 'POST' | 'PATCH', path: string, body: unknown): Promise<T> {
  const response = await fetchResponse(path, {
    method,
    headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify(body),
  });
  return (await response.json()) as T;
}
