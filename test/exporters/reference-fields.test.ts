import { describe, expect, it } from 'vitest';
import { parseJobs } from '../../src/exporters/jobs/job-config.ts';
import { parseReferenceFields } from '../../src/exporters/reference-fields.ts';

function jobWithReference(reference: string) {
  const text = `jobs:\n  - name: rft\n    format: openai-rft\n    destination: ./out\n    interval: 1h\n    options: { reference: ${reference} }\n`;
  return parseJobs(text, 'jobs.yaml', '/tmp')[0]?.formatOptions.referenceFields;
}

describe('reference fields where they enter', () => {
  it('a jobs file takes field names and sources that --reference takes', () => {
    expect(jobWithReference('{ answer: "tool:search", ground_truth: final_answer }')).toEqual({
      answer: 'tool:search',
      ground_truth: 'final_answer',
    });
    expect(parseReferenceFields('answer=tool:search,ground_truth=final_answer')).toEqual({
      answer: 'tool:search',
      ground_truth: 'final_answer',
    });
  });

  it('a jobs file refuses a field that would replace the prompt, naming the job and the field', () => {
    expect(() => jobWithReference('{ messages: final_answer }')).toThrow(
      'jobs.yaml: job "rft": options.reference: reference field name "messages" would replace the record\'s messages',
    );
    expect(() => jobWithReference('{ "bad name": task }')).toThrow(
      'reference field name "bad name" is not letters, digits and _',
    );
  });

  it('a jobs file and --reference refuse an unknown source when they are read, not in the middle of an export', () => {
    expect(() => jobWithReference('{ answer: finale }')).toThrow(
      'options.reference: unknown reference source "finale" (use final_answer, task, task_id, reward:<name> or tool:<name>)',
    );
    expect(() => parseReferenceFields('answer=finale')).toThrow(
      'invalid reference field "answer=finale": unknown reference source "finale"',
    );
    expect(() => parseReferenceFields('tools=task')).toThrow("would replace the record's tools");
  });
});
