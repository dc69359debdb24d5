/** The JSON text columns of the store (attributes, messages, events) parsed back, with a fallback for empty or damaged text. */
export function parseJsonText<T>(text: string, fallback: T): T {
  if (!text) return fallback;
  try {
    return JSON.parse(text) as T;
  } catch {
    return fallback;
  }
}

/** A JSON array column; anything else (empty, damaged, not an array) reads as no items. */
export function parseJsonArray<T = unknown>(text: string): T[] {
  const value = parseJsonText<unknown>(text, []);
  return Array.isArray(value) ? (value as T[]) : [];
}
