import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Receiver } from '../../collector/receiver.ts';
import { queryRows, startTestReceiver } from '../helpers/test-receiver.ts';

let receiver: Receiver;

beforeAll(async () => {
  receiver = await startTestReceiver();
});
afterAll(async () => {
  await receiver?.close();
});

const traceId = '7a8efff798038103d269b633813fc60c';

/** Bodies are written by hand: JSON.stringify cannot emit number literals above 2^53 or leave `\ud83d` alone. */
function request(span: string): string {
  return `{"resourceSpans":[{"scopeSpans":[{"spans":[{"traceId":"${traceId}",${span}}]}]}]}`;
}

async function exportJson(body: string): Promise<void> {
  const response = await fetch(`${receiver.httpUrl}/v1/traces`, {
    method: 'POST',
    body,
    headers: { 'Content-Type': 'application/json' },
  });
  expect(response.status).toBe(200);
  expect(await response.json()).toEqual({});
  await receiver.flush();
}

interface StoredSpan {
  name: string;
  start: string;
  end: string;
  attributes: string;
}

async function storedSpan(spanId: string): Promise<StoredSpan | undefined> {
  const rows = await queryRows<StoredSpan>(
    receiver,
    `SELECT name, toString(start_time_unix_nano) AS start, toString(end_time_unix_nano) AS end, attributes
     FROM spans FINAL WHERE trace_id = {t:String} AND span_id = {s:String}`,
    { t: traceId, s: spanId },
  );
  return rows[0];
}

function deadLetters(): string {
  const file = join(receiver.config.dataDir, 'dead-letter.jsonl');
  return existsSync(file) ? readFileSync(file, 'utf8') : '';
}

describe('OTLP/JSON spans a JSON.parse-based decoder would break, stored through a real receiver', () => {
  it('stores a span whose strings hold lone surrogates, with U+FFFD in their place, instead of dead-lettering it', async () => {
    await exportJson(
      request(`"spanId":"1111111111111111","name":"cut \\ud83d mid-emoji",
        "startTimeUnixNano":"1700000000000000000","endTimeUnixNano":"1700000001000000000",
        "attributes":[{"key":"note","value":{"stringValue":"tail \\udc00 only"}}]`),
    );
    const span = await storedSpan('1111111111111111');
    expect(span?.name).toBe('cut \uFFFD mid-emoji');
    expect(JSON.parse(span?.attributes ?? '{}')).toEqual({ note: 'tail \uFFFD only' });
    expect(deadLetters()).toBe('');
  });

  it('stores nanosecond times above 2^53 sent as JSON numbers exactly', async () => {
    // 2^53 + 1 and + 3: JSON.parse reads them as 2^53 and 2^53 + 4.
    await exportJson(
      request(`"spanId":"2222222222222222","name":"late",
        "startTimeUnixNano":9007199254740993,"endTimeUnixNano":9007199254740995`),
    );
    const span = await storedSpan('2222222222222222');
    expect({ start: span?.start, end: span?.end }).toEqual({ start: '9007199254740993', end: '9007199254740995' });
  });
});
