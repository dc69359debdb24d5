/**
 * OpenAI reinforcement fine-tuning: `{messages, tools, ...reference fields}`. `messages` and `tools` are the
 * reserved keys; every other key is available to the grader as `{{ item.<key> }}`. The last message is a user
 * message. One row per task (see reinforcement-prompt.ts).
 *
 * {"messages":[{"role":"system","content":"Answer with a number."},{"role":"user","content":"What is 6*7?"}],
 *  "tools":[],"ground_truth":"42"}
 */
import type { ExportFormat } from '../export-format.ts';
import { parquetOpenAIMessage } from '../message-shapes.ts';
import { reinforcementParquetStructure, reinforcementRecords, reinforcementRecordSchema, type ReinforcementRecord } from './reinforcement-prompt.ts';

export const openAIRftFormat: ExportFormat<ReinforcementRecord> = {
  name: 'openai-rft',
  description: 'OpenAI reinforcement fine-tuning {messages, tools, <reference fields>}, one row per task, ending with the user message',
  recordSchema: reinforcementRecordSchema,
  grouping: 'task',
  parquetStructure: (options) => reinforcementParquetStructure(options, parquetOpenAIMessage),
  toRecords: reinforcementRecords,
};
