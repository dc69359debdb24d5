/**
 * The LLM proxy's upstreams, named: `--proxy-upstream openai=https://api.openai.com,vllm=http://gpu-1:8000`. A
 * call to `/proxy/<name>/v1/...` goes to that base URL with the same `/v1/...` path, so the base URL is what the
 * provider's SDK calls its base URL without the trailing `/v1` (a path prefix before it is kept:
 * `gateway=https://llm.internal/openai` serves `/proxy/gateway/v1/chat/completions` from
 * `https://llm.internal/openai/v1/chat/completions`).
 */
export interface ProxyUpstream {
  name: string;
  /** Origin plus an optional path prefix, without a trailing slash. */
  baseUrl: URL;
}

const namePattern = /^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$/;

/** Parses the option's text; throws an Error that names the bad entry and the expected form. */
export function parseProxyUpstreams(text: string): Map<string, ProxyUpstream> {
  const upstreams = new Map<string, ProxyUpstream>();
  for (const entry of text.split(',')) {
    const trimmed = entry.trim();
    if (trimmed === '') continue;
    const equals = trimmed.indexOf('=');
    const name = equals > 0 ? trimmed.slice(0, equals).trim() : '';
    const url = equals > 0 ? trimmed.slice(equals + 1).trim() : '';
    if (!namePattern.test(name))
      throw new Error(
        `${JSON.stringify(trimmed)}: expected name=base-url with a name of letters, digits, '-' or '_' (e.g. openai=https://api.openai.com)`,
      );
    let baseUrl: URL;
    try {
      baseUrl = new URL(url);
    } catch {
      throw new Error(
        `${JSON.stringify(trimmed)}: ${JSON.stringify(url)} is not a URL (e.g. openai=https://api.openai.com)`,
      );
    }
    if (baseUrl.protocol !== 'http:' && baseUrl.protocol !== 'https:')
      throw new Error(`${JSON.stringify(trimmed)}: the base URL must be http or https`);
    if (baseUrl.search !== '' || baseUrl.hash !== '' || baseUrl.username !== '' || baseUrl.password !== '')
      throw new Error(
        `${JSON.stringify(trimmed)}: the base URL takes no query, fragment or credentials (clients send their own keys)`,
      );
    if (upstreams.has(name)) throw new Error(`upstream ${JSON.stringify(name)} is named twice`);
    baseUrl.pathname = baseUrl.pathname.replace(/\/+$/, '').replace(/\/v1$/, '');
    upstreams.set(name, { name, baseUrl });
  }
  return upstreams;
}
