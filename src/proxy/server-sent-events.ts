/**
 * Server-sent events text (a captured `text/event-stream` body) as events, per the WHATWG event-stream
 * interpretation: lines end at CRLF, LF or CR; a leading BOM is skipped; `:` starts a comment; a field's value
 * loses one leading space; `data` lines join with `\n`; an empty line dispatches the event, and an event without
 * `data` lines is not dispatched; `id` and `retry` are ignored (nothing reconnects). OpenAI's `data: [DONE]`
 * terminator is not an event: it ends the stream, and whatever follows it is ignored, as the OpenAI SDK does.
 *
 * The end of the text is where capture stopped. When the capture is `complete` (the upstream ended the body), an
 * event still pending at the end is dispatched, because some servers omit the final blank line and nothing more
 * is coming. When it is not (the capture hit its limit, or the connection broke), the last line may be cut
 * mid-way and the pending event may miss lines, so both are dropped, as the spec drops them at end of file.
 */

export interface ServerSentEvent {
  /** The `event` field, absent when the event did not name one (the spec's default type `message`). */
  event?: string;
  data: string;
}

export interface ParsedEventStream {
  events: ServerSentEvent[];
  /** OpenAI's `data: [DONE]` arrived. */
  done: boolean;
  /** More events than `maxEvents` arrived; the rest were not read. */
  limited: boolean;
}

export interface EventStreamOptions {
  /** Whether `text` is the whole body (see the module comment). */
  complete: boolean;
  /** @default 1_000_000 (a long reasoning stream sends an event per token; the capture limit bounds the rest) */
  maxEvents?: number;
}

const lineBreak = /\r\n|\r|\n/;

export function parseServerSentEvents(text: string, options: EventStreamOptions): ParsedEventStream {
  const maxEvents = options.maxEvents ?? 1_000_000;
  const lines = (text.startsWith('\uFEFF') ? text.slice(1) : text).split(lineBreak);
  // The element after the last line break: '' when the text ends with one, else a line without its end.
  if (!options.complete) lines.pop();
  const events: ServerSentEvent[] = [];
  let eventType = '';
  let data: string[] = [];
  const dispatch = (): 'continue' | 'done' | 'limited' => {
    const pending = data;
    const type = eventType;
    data = [];
    eventType = '';
    if (pending.length === 0) return 'continue';
    const joined = pending.join('\n');
    if (joined.startsWith('[DONE]')) return 'done';
    if (events.length >= maxEvents) return 'limited';
    events.push(type === '' ? { data: joined } : { event: type, data: joined });
    return 'continue';
  };
  for (const line of lines) {
    if (line === '') {
      const outcome = dispatch();
      if (outcome !== 'continue') return { events, done: outcome === 'done', limited: outcome === 'limited' };
      continue;
    }
    if (line.startsWith(':')) continue;
    const colon = line.indexOf(':');
    const field = colon === -1 ? line : line.slice(0, colon);
    let value = colon === -1 ? '' : line.slice(colon + 1);
    if (value.startsWith(' ')) value = value.slice(1);
    if (field === 'data') data.push(value);
    else if (field === 'event') eventType = value;
  }
  const outcome = options.complete ? dispatch() : 'continue';
  return { events, done: outcome === 'done', limited: outcome === 'limited' };
}
