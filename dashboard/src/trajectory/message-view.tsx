/**
 * One chat message as a person reads it: its role, its text (or its parts: text, images and files as links),
 * the model's reasoning folded away, and the tool calls it made with their arguments pretty-printed.
 */
import type { ContentPart, Message } from '../api/types.ts';

export function prettyJson(text: string): string {
  try {
    return JSON.stringify(JSON.parse(text), null, 2);
  } catch {
    return text;
  }
}

function partUrl(part: ContentPart): string | undefined {
  const record = part as Record<string, unknown>;
  for (const key of ['image_url', 'file', 'input_audio', 'url']) {
    const value = record[key];
    if (typeof value === 'string') return value;
    if (value && typeof value === 'object') {
      const inner = value as Record<string, unknown>;
      for (const field of ['url', 'file_url', 'file_id', 'filename']) {
        if (typeof inner[field] === 'string') return inner[field];
      }
    }
  }
  return undefined;
}

/** Only web links become anchors: a `javascript:` or `data:` URL from a trajectory must not run in the page. */
function safeHref(url: string): string | undefined {
  return /^https?:\/\//i.test(url) ? url : undefined;
}

function ContentPartView({ part }: { part: ContentPart }) {
  const record = part as Record<string, unknown>;
  if (part.type === 'text' && typeof record['text'] === 'string')
    return <p className="message-text">{record['text']}</p>;
  const url = partUrl(part);
  const href = url ? safeHref(url) : undefined;
  const label =
    url && url.startsWith('data:') ? `${part.type} (inline data, ${url.length} characters)` : (url ?? part.type);
  return (
    <p className="message-part">
      <span className="badge">{part.type}</span>{' '}
      {href ? (
        <a href={href} target="_blank" rel="noreferrer noopener">
          {label}
        </a>
      ) : (
        <span>{label}</span>
      )}
    </p>
  );
}

export function MessageView({ message }: { message: Message }) {
  return (
    <article className={`message role-${message.role}`} aria-label={`${message.role} message`}>
      <header>
        <span className="role">{message.role}</span>
        {message.name ? <span className="muted"> {message.name}</span> : null}
        {message.is_error ? <span className="badge status-error">error</span> : null}
      </header>
      {message.reasoning ? (
        <details className="reasoning">
          <summary>Reasoning</summary>
          <p className="message-text">{message.reasoning}</p>
        </details>
      ) : null}
      {typeof message.content === 'string' && message.content !== '' ? (
        <p className="message-text">{message.content}</p>
      ) : null}
      {Array.isArray(message.content)
        ? message.content.map((part, index) => <ContentPartView key={index} part={part} />)
        : null}
      {(message.tool_calls ?? []).map((call) => (
        <div key={call.id} className="tool-call">
          <span className="badge kind-tool">call</span> <code>{call.function.name}</code>{' '}
          <span className="muted">{call.id}</span>
          <pre>{prettyJson(call.function.arguments)}</pre>
        </div>
      ))}
    </article>
  );
}
