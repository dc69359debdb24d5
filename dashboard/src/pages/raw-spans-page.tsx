/** The raw canonical spans of one trace, as `GET /v1/traces/{id}` answers them, with a download of the JSON. */
import { useEffect, useMemo } from 'react';
import { Link } from 'wouter';
import { useApi } from '../api/use-api.ts';
import { ErrorMessage, Loading } from '../components/status.tsx';

export function RawSpansPage({ traceId }: { traceId: string }) {
  const trace = useApi<{ trace_id: string; spans: unknown[] }>(`/v1/traces/${encodeURIComponent(traceId)}`);
  const text = useMemo(() => (trace.data ? JSON.stringify(trace.data, null, 2) : ''), [trace.data]);
  const download = useMemo(
    () => (text ? URL.createObjectURL(new Blob([text], { type: 'application/json' })) : undefined),
    [text],
  );
  // The blob holds the whole trace: let it go with the page.
  useEffect(() => () => (download ? URL.revokeObjectURL(download) : undefined), [download]);
  return (
    <>
      <header className="page-header">
        <div>
          <p className="breadcrumb">
            <Link href="/trajectories">Trajectories</Link> / trace <code>{traceId}</code>
          </p>
          <h1>Raw spans</h1>
        </div>
        {download ? (
          <a href={download} download={`trace-${traceId}.json`}>
            Download JSON
          </a>
        ) : null}
      </header>
      {trace.error ? <ErrorMessage error={trace.error} /> : null}
      {trace.loading ? <Loading what="the spans" /> : null}
      {trace.data ? (
        <>
          <p className="muted">{trace.data.spans.length} spans, every original attribute as the agent sent it.</p>
          <pre className="raw-json">{text}</pre>
        </>
      ) : null}
    </>
  );
}
