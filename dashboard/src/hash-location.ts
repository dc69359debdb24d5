/**
 * The router's location: path and query both inside the URL's hash (`#/trajectories?agent=planner`). wouter's own
 * hash hook keeps the query in the page URL's search part, where it outlives the route it belongs to (a filter of
 * the list would follow the user onto every later page); here a route and its query change together.
 */
import { useSyncExternalStore } from 'react';

function subscribe(callback: () => void): () => void {
  addEventListener('hashchange', callback);
  return () => removeEventListener('hashchange', callback);
}

function hashText(): string {
  return location.hash.replace(/^#\/?/, '');
}

function currentPath(): string {
  return `/${hashText().split('?')[0] ?? ''}`;
}

function currentSearch(): string {
  const text = hashText();
  const mark = text.indexOf('?');
  return mark < 0 ? '' : text.slice(mark + 1);
}

export function navigateHash(to: string, options: { replace?: boolean } = {}): void {
  const target = `#${to.startsWith('/') ? to : `/${to}`}`;
  if (options.replace) {
    history.replaceState(history.state, '', target);
    dispatchEvent(new HashChangeEvent('hashchange'));
  } else {
    location.hash = target;
  }
}

export function useHashPath(): [string, (to: string, options?: { replace?: boolean }) => void] {
  return [useSyncExternalStore(subscribe, currentPath), navigateHash];
}

export function useHashSearch(): string {
  return useSyncExternalStore(subscribe, currentSearch);
}

/** Links render `#/path?query` hrefs, so opening one in a new tab lands on the same view. */
export function hashHref(href: string): string {
  return `#${href}`;
}
