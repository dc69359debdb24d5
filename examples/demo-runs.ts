/**
 * The demo's agent runs, shared by `npm run demo` (demo.ts) and the test that exports them in every format.
 * Each task is run once with the tools and once answering directly, so every task has runs that did well and
 * runs that did not: a newcomer's first export has DPO/KTO preference data and GRPO advantages that are not
 * zero. Every invocation draws a new run id, so its rollouts never merge with an earlier invocation's.
 */
import { randomUUID } from 'node:crypto';
import type OpenAI from 'openai';
import { runAgent, type AgentRun, type AgentStrategy, type AgentTask } from './agent.ts';

export const demoTasks: AgentTask[] = [
  { id: 'capital-france', question: 'Use the capital tool: what is the capital of France?', expected: 'Paris' },
  { id: 'arithmetic', question: 'Use the calculator: what is 17 * 23?', expected: '391' },
  {
    id: 'capital-atlantis',
    question: 'Use the capital tool: what is the capital of Atlantis?',
    expected: 'Poseidonis',
  },
];

export const demoStrategies: AgentStrategy[] = ['use-tools', 'answer-directly'];

/** Runs every demo task with every strategy, one after the other, as one invocation with its own run id. */
export async function runDemoAgents(openai: OpenAI, options: { runId?: string } = {}): Promise<AgentRun[]> {
  const runId = options.runId ?? randomUUID().slice(0, 8);
  const runs: AgentRun[] = [];
  for (const task of demoTasks) {
    for (const [sample, strategy] of demoStrategies.entries())
      runs.push(await runAgent(openai, task, { runId, sample, strategy }));
  }
  return runs;
}
