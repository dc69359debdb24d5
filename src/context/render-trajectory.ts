/**
 * One trajectory as compact text for a prompt: the task, each tool call as `name(arguments) -> result`, the final
 * answer, the final reward and the trajectory id. Long fields are cut with a visible marker so a reader (or model)
 * knows text is missing. The rendering is kept in parts so a token budget can drop middle steps and still show
 * the task and the answer (src/context/token-budget.ts). Deterministic: the same trajectory renders the same text.
 */
import type { Trajectory } from '../model/trajectory.ts';
import { contentText, finalAnswer } from '../exporters/conversation.ts';

export interface RenderedTrajectory {
  trajectoryId: string;
  task: string;
  /** One line per tool call, in call order. */
  steps: string[];
  answer: string;
  finalReward: number | null;
}

export interface RenderLimits {
  /** Characters kept of a task or a final answer. */
  textChars: number;
  /** Characters kept of one tool call's arguments. */
  argumentChars: number;
  /** Characters kept of one tool call's result. */
  resultChars: number;
}

export const defaultRenderLimits: RenderLimits = { textChars: 1000, argumentChars: 200, resultChars: 200 };

/** `text` cut to `limit` characters, with the count of what was cut, and folded onto one line. */
export function truncateText(text: string, limit: number): string {
  const oneLine = text.replace(/\s+/g, ' ').trim();
  if (oneLine.length <= limit) return oneLine;
  return `${oneLine.slice(0, limit)}... [${oneLine.length - limit} more characters]`;
}

/** The task as the agent was given it: the task description, else the first user message. */
export function taskOf(trajectory: Trajectory): string {
  if (trajectory.task !== '') return trajectory.task;
  for (const turn of trajectory.turns) {
    const user = turn.input_messages.find((message) => message.role === 'user');
    if (user) return contentText(user.content);
  }
  return '';
}

export function renderTrajectory(
  trajectory: Trajectory,
  limits: RenderLimits = defaultRenderLimits,
): RenderedTrajectory {
  const steps = trajectory.turns.flatMap((turn) =>
    turn.tool_calls.map((call) => {
      const args = truncateText(call.arguments, limits.argumentChars);
      const result =
        call.result === null ? '(no result)' : truncateText(call.result, limits.resultChars) || '(empty result)';
      return `${call.name}(${args}) -> ${call.status === 'error' ? `ERROR: ${result}` : result}`;
    }),
  );
  return {
    trajectoryId: trajectory.id,
    task: truncateText(taskOf(trajectory), limits.textChars),
    steps,
    answer: truncateText(finalAnswer(trajectory) ?? '', limits.textChars),
    finalReward: trajectory.final_reward,
  };
}

/** The steps kept when `omitted` middle steps are dropped: the earlier half before the marker, the rest after. */
export function keptSteps(steps: string[], omitted: number): string[] {
  if (omitted <= 0) return steps.map((step, index) => `${index + 1}. ${step}`);
  const kept = steps.length - omitted;
  const head = Math.ceil(kept / 2);
  const tailStart = steps.length - (kept - head);
  return [
    ...steps.slice(0, head).map((step, index) => `${index + 1}. ${step}`),
    `... [${omitted} ${omitted === 1 ? 'step' : 'steps'} omitted] ...`,
    ...steps.slice(tailStart).map((step, index) => `${tailStart + index + 1}. ${step}`),
  ];
}

/** How it was solved: the steps (with `omitted` middle ones dropped) and the final answer. */
export function solutionText(rendered: RenderedTrajectory, omitted = 0): string {
  const lines = rendered.steps.length > 0 ? ['Steps:', ...keptSteps(rendered.steps, omitted)] : ['Steps: none'];
  lines.push(`Final answer: ${rendered.answer || '(none)'}`);
  return lines.join('\n');
}

/** The whole example as one block of text. */
export function exampleText(rendered: RenderedTrajectory, omitted = 0): string {
  return [
    `Example (trajectory ${rendered.trajectoryId})`,
    `Task: ${rendered.task}`,
    solutionText(rendered, omitted),
    `Final reward: ${rendered.finalReward ?? 'none'}`,
  ].join('\n');
}
