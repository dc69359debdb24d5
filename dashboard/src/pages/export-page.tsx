/**
 * Export: pick a format, an encoding and filters, and download the file the exporters write for them
 * (`GET /v1/exports/{format}`, the same code as `trajectories export`). The file is fetched with the user's token
 * and handed to the browser as a download, with the counts the export reported.
 */
import { useState, type SubmitEvent } from 'react';
import { fetchResponse, queryString } from '../api/client.ts';
import { useApi } from '../api/use-api.ts';
import { ErrorMessage, Loading } from '../components/status.tsx';

interface FormatListing {
  name: string;
  description?: string;
}

interface ExportListing {
  formats: FormatListing[];
  encodings?: string[];
}

const filterFields = [
  { key: 'agent', label: 'Agent' },
  { key: 'task', label: 'Task' },
  { key: 'tag', label: 'Tag' },
  { key: 'min_reward', label: 'Min reward' },
  { key: 'max_reward', label: 'Max reward' },
] as const;

function fileNameOf(response: Response, fallback: string): string {
  const disposition = response.headers.get('Content-Disposition') ?? '';
  return /filename="([^"]+)"/.exec(disposition)?.[1] ?? fallback;
}

export function ExportPage() {
  const listing = useApi<ExportListing>('/v1/exports');
  const [format, setFormat] = useState('');
  const [encoding, setEncoding] = useState('jsonl');
  const [outcome, setOutcome] = useState('');
  const [filters, setFilters] = useState<Record<string, string>>({});
  const [status, setStatus] = useState<
    { kind: 'idle' | 'running' } | { kind: 'done'; text: string } | { kind: 'failed'; error: Error }
  >({
    kind: 'idle',
  });
  const formats = listing.data?.formats ?? [];
  const chosen = format || formats[0]?.name || '';
  const encodings = listing.data?.encodings ?? ['jsonl', 'jsonl.gz'];

  async function submit(event: SubmitEvent) {
    event.preventDefault();
    setStatus({ kind: 'running' });
    try {
      const response = await fetchResponse(
        `/v1/exports/${encodeURIComponent(chosen)}${queryString({ ...filters, outcome, encoding })}`,
      );
      const blob = await response.blob();
      const url = URL.createObjectURL(blob);
      const anchor = document.createElement('a');
      anchor.href = url;
      anchor.download = fileNameOf(response, `${chosen}.${encoding}`);
      document.body.append(anchor);
      anchor.click();
      anchor.remove();
      setTimeout(() => URL.revokeObjectURL(url), 60_000);
      const records = response.headers.get('X-Export-Records') ?? '?';
      const skipped = response.headers.get('X-Export-Skipped') ?? '0';
      setStatus({
        kind: 'done',
        text: `Downloaded ${anchor.download}: ${records} records, ${skipped} trajectories skipped.`,
      });
    } catch (error) {
      setStatus({ kind: 'failed', error: error instanceof Error ? error : new Error(String(error)) });
    }
  }

  return (
    <>
      <header className="page-header">
        <h1>Export training data</h1>
      </header>
      {listing.error ? <ErrorMessage error={listing.error} /> : null}
      {listing.loading ? <Loading what="the formats" /> : null}
      {formats.length > 0 ? (
        <form className="export-form" onSubmit={(event) => void submit(event)}>
          <label>
            Format
            <select value={chosen} onChange={(event) => setFormat(event.target.value)}>
              {formats.map((entry) => (
                <option key={entry.name} value={entry.name}>
                  {entry.name}
                </option>
              ))}
            </select>
          </label>
          <p className="muted format-description">{formats.find((entry) => entry.name === chosen)?.description}</p>
          <label>
            Encoding
            <select value={encoding} onChange={(event) => setEncoding(event.target.value)}>
              {encodings.map((entry) => (
                <option key={entry} value={entry}>
                  {entry}
                </option>
              ))}
            </select>
          </label>
          <label>
            Outcome
            <select value={outcome} onChange={(event) => setOutcome(event.target.value)}>
              <option value="">any</option>
              <option value="success">success</option>
              <option value="failure">failure</option>
              <option value="unknown">unknown</option>
            </select>
          </label>
          {filterFields.map((field) => (
            <label key={field.key}>
              {field.label}
              <input
                value={filters[field.key] ?? ''}
                onChange={(event) => setFilters((current) => ({ ...current, [field.key]: event.target.value }))}
              />
            </label>
          ))}
          <button type="submit" disabled={status.kind === 'running' || chosen === ''}>
            {status.kind === 'running' ? 'Exporting…' : 'Download'}
          </button>
          <p role="status" className="muted">
            {status.kind === 'done' ? status.text : ''}
          </p>
          {status.kind === 'failed' ? <ErrorMessage error={status.error} /> : null}
        </form>
      ) : null}
    </>
  );
}
