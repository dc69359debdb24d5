/**
 * The export formats by name. Adding a format is one module plus one line here. Consumers that read nearly the
 * same record share one conversion with a dialect each (`openai-rft` and `fireworks`).
 */
import type { ExportFormat } from '../export-format.ts';
import { agentLightningFormat } from './agent-lightning.ts';
import { artFormat } from './art.ts';
import { openAIDpoFormat } from './openai-dpo.ts';
import { openAISftFormat } from './openai-sft.ts';
import { fireworksFormat, openAIRftFormat } from './reinforcement-fine-tuning.ts';
import { trlDpoFormat } from './trl-dpo.ts';
import { trlGrpoFormat } from './trl-grpo.ts';
import { trlKtoFormat } from './trl-kto.ts';
import { trlSftFormat } from './trl-sft.ts';

export const exportFormats: ReadonlyArray<ExportFormat<unknown>> = [
  artFormat,
  agentLightningFormat,
  openAISftFormat,
  openAIDpoFormat,
  openAIRftFormat,
  fireworksFormat,
  trlSftFormat,
  trlDpoFormat,
  trlKtoFormat,
  trlGrpoFormat,
] as ReadonlyArray<ExportFormat<unknown>>;

export const formatNames = exportFormats.map((format) => format.name);

export function getExportFormat(name: string): ExportFormat<unknown> {
  const format = exportFormats.find((candidate) => candidate.name === name);
  if (!format) throw new Error(`unknown export format ${JSON.stringify(name)} (one of: ${formatNames.join(', ')})`);
  return format;
}
