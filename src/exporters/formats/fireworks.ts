/**
 * Fireworks reinforcement fine-tuning dataset: OpenAI-style `messages` plus `ground_truth` (and any other
 * configured reference field) for the evaluator, one row per task (see reinforcement-prompt.ts). Fireworks'
 * evaluators read `ground_truth` by convention, which is why it is the default reference field name.
 *
 * {"messages":[{"role":"user","content":"What is 6*7?"}],"tools":[],"ground_truth":"42"}
 */
import type { ExportFormat } from '../export-format.ts';
import { parquetOpenAIMessage } from '../message-shapes.ts';
import { reinforcementParquetStructure, reinforcementRecords, reinforcementRecordSchema, type ReinforcementRecord } from './reinforcement-prompt.ts';

export const fireworksFormat: ExportFormat<ReinforcementRecord> = {
  name: 'fireworks',
  description: 'Fireworks RFT dataset {messages, tools, ground_truth}, one row per task',
  recordSchema: reinforcementRecordSchema,
  grouping: 'task',
  parquetStructure: (options) => reinforcementParquetStructure(options, parquetOpenAIMessage),
  toRecords: reinforcementRecords,
};
