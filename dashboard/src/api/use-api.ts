/**
 * Loads one API path into a component: the answer, the error (with the receiver's message) and a reload. A new
 * path aborts the request still running for the old one, and the old path's answer is never shown as the new
 * one's (navigating from one trajectory to another shows "loading", not the previous trajectory); a reload of
 * the same path keeps showing the current answer until the new one arrives.
 */
import { useCallback, useEffect, useState } from 'react';
import { getJson } from './client.ts';

export interface ApiState<T> {
  data: T | undefined;
  error: Error | undefined;
  loading: boolean;
  reload: () => void;
}

type Answer<T> = { path: string; data: T; error?: undefined } | { path: string; data?: undefined; error: Error };

export function useApi<T>(path: string | null): ApiState<T> {
  const [answer, setAnswer] = useState<Answer<T> | undefined>(undefined);
  const [generation, setGeneration] = useState(0);
  const [pending, setPending] = useState(0);
  useEffect(() => {
    if (path === null) return undefined;
    const controller = new AbortController();
    setPending((count) => count + 1);
    getJson<T>(path, controller.signal)
      .then(
        (data) => setAnswer({ path, data }),
        (reason: unknown) => {
          if (controller.signal.aborted) return;
          setAnswer({ path, error: reason instanceof Error ? reason : new Error(String(reason)) });
        },
      )
      .finally(() => setPending((count) => count - 1));
    return () => controller.abort();
  }, [path, generation]);
  const reload = useCallback(() => setGeneration((value) => value + 1), []);
  const current = answer?.path === path ? answer : undefined;
  return { data: current?.data, error: current?.error, loading: pending > 0, reload };
}
