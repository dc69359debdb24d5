/**
 * Asks for a bearer token when the receiver requires one. It probes the API once: a 401 (no token, or one the
 * receiver no longer accepts) shows the prompt with the receiver's message; a token is tried before it is kept,
 * so a wrong one is refused right here and the pages behind the gate never render with it.
 */
import { useEffect, useState, type SubmitEvent, type ReactNode } from 'react';
import { ApiError, getJson, onUnauthorized, storeToken } from '../api/client.ts';

type GateState = { kind: 'checking' } | { kind: 'open' } | { kind: 'asking'; message: string };

const probePath = '/v1/trajectories?limit=1';

export function TokenGate({ children }: { children: ReactNode }) {
  const [state, setState] = useState<GateState>({ kind: 'checking' });
  const [token, setToken] = useState('');
  const [trying, setTrying] = useState(false);

  useEffect(() => {
    const unsubscribe = onUnauthorized((message) => setState({ kind: 'asking', message }));
    getJson(probePath).then(
      () => setState({ kind: 'open' }),
      (error: unknown) => {
        // A 401 already switched to the prompt; anything else is for the pages to show.
        if (!(error instanceof ApiError && error.status === 401)) setState({ kind: 'open' });
      },
    );
    return unsubscribe;
  }, []);

  async function submit(event: SubmitEvent) {
    event.preventDefault();
    setTrying(true);
    storeToken(token.trim());
    try {
      await getJson(probePath);
      setToken('');
      setState({ kind: 'open' });
    } catch (error) {
      if (!(error instanceof ApiError && error.status === 401))
        setState({ kind: 'asking', message: error instanceof Error ? error.message : String(error) });
    } finally {
      setTrying(false);
    }
  }

  if (state.kind === 'checking') return null;
  if (state.kind === 'open') return <>{children}</>;
  return (
    <main className="token-gate">
      <h1>Trajectories</h1>
      <form onSubmit={(event) => void submit(event)} aria-describedby="token-message">
        <p>This receiver requires a token. It is sent as the bearer token and kept for this browser tab only.</p>
        <label htmlFor="token">Token</label>
        <input
          id="token"
          type="password"
          autoComplete="current-password"
          autoFocus
          required
          value={token}
          onChange={(event) => setToken(event.target.value)}
        />
        <button type="submit" disabled={trying || token.trim() === ''}>
          Sign in
        </button>
        <p id="token-message" className="error" role="alert">
          {state.message}
        </p>
      </form>
    </main>
  );
}
