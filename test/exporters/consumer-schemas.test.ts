import { describe, expect, it } from 'vitest';
import { defaultFormatOptions, type FormatOptions } from '../../src/exporters/export-format.ts';
import type { Trajectory } from '../../src/model/trajectory.ts';
import { artTrajectoryGroupSchema } from './consumer-schemas/art.ts';
import { evaluationRowSchema } from './consumer-schemas/eval-protocol.ts';
import { openAIRftInputSchema } from './consumer-schemas/openai-rft.ts';
import { exportFile, readJsonl } from './export-files.ts';
import { bytePinnedTrajectories, optionVariants } from './golden-exports.ts';
import { multiTurn, weatherToolCall } from './golden-trajectories.ts';
import { toolTrajectories } from './tool-trajectories.ts';

const trajectories = [...bytePinnedTrajectories, ...toolTrajectories];
const consumers = [
  ['openai-rft', openAIRftInputSchema],
  ['fireworks', evaluationRowSchema],
  ['art', artTrajectoryGroupSchema],
] as const;
const cases = consumers.flatMap(([format, schema]) =>
  Object.keys(optionVariants).map((variant) => [format, variant, schema] as const),
);

async function exported(format: string, input: Trajectory[], options: FormatOptions) {
  return readJsonl(await exportFile(format, input, 'jsonl', options));
}

describe('records validate against their consumer’s published schema', () => {
  it.each(cases)('%s (%s options): every line parses with the consumer’s model', async (format, variant, schema) => {
    const records = await exported(format, trajectories, optionVariants[variant] as FormatOptions);
    expect(records.length).toBeGreaterThan(0);
    for (const record of records) schema.parse(record);
  });

  it('openai-rft has no system message: the system prompt is the developer message', async () => {
    const [record] = await exported('openai-rft', [weatherToolCall], defaultFormatOptions);
    const withSystem = {
      ...record,
      messages: (record!['messages'] as Array<{ role: string }>).map((message) =>
        message.role === 'developer' ? { ...message, role: 'system' } : message,
      ),
    };
    expect(openAIRftInputSchema.safeParse(withSystem).success).toBe(false);
    expect((record!['messages'] as Array<{ role: string }>)[0]!.role).toBe('developer');
  });

  it('fireworks writes ground_truth as the string eval-protocol types it as, also for a numeric reward reference', async () => {
    const records = await exported('fireworks', [multiTurn], {
      ...defaultFormatOptions,
      referenceFields: { ground_truth: 'reward:correct' },
    });
    expect(records).toEqual([expect.objectContaining({ ground_truth: '1' })]);
    evaluationRowSchema.parse(records[0]);
  });
});
