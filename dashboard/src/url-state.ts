/**
 * Page state kept in the URL's query string (filters, sort, time range), so reload, back and a shared link all
 * show the same view. wouter's hash location keeps the query beside the hash route.
 */
import { useCallback } from 'react';
import { useLocation, useSearch } from 'wouter';

export function useQueryState(): [URLSearchParams, (changes: Record<string, string | undefined>) => void] {
  const search = useSearch();
  const [location, navigate] = useLocation();
  const params = new URLSearchParams(search);
  const update = useCallback(
    (changes: Record<string, string | undefined>) => {
      const next = new URLSearchParams(search);
      for (const [key, value] of Object.entries(changes)) {
        if (value === undefined || value === '') next.delete(key);
        else next.set(key, value);
      }
      const text = next.toString();
      navigate(text ? `${location}?${text}` : location, { replace: true });
    },
    [search, location, navigate],
  );
  return [params, update];
}
