/**
 * Decision points for outcome prediction (context learning, `predict`). Every tool call of a past trajectory is
 * one, and so is every turn that answered without calling a tool: its state is the sequence of tool names the
 * trajectory had called before it (earlier calls of the same turn included; the task is the same for all of them,
 * and similarity by task is decided by the search that found the trajectory), its action the call's tool name or
 * `answer`. So a run that called `search_flights` and `book_flight` in one turn and a run that called them in two
 * turns both took `book_flight` after `search_flights`. A conversation an agent is in the middle of has a state read
 * the same way from its messages: the assistant messages' tool calls, in order.
 *
 * A turn whose model call failed without output decided nothing (the agent retries), so it is no decision point
 * and takes no step: steps count the turns that produced a message, as a conversation counts assistant messages.
 * A tool named `answer` cannot be told apart from answering; that is the name the contract gives the action.
 */
import type { CandidateAction } from './context-api.ts';
import type { Message } from '../model/message.ts';
import type { Trajectory } from '../model/trajectory.ts';
import { contentText } from '../exporters/conversation.ts';

export const answerAction = 'answer';

export interface DecisionState {
  /** Tool names called before this point, in call order (parallel calls of one turn in their listed order). */
  history: readonly string[];
  /** How many decisions (turns with an output, assistant messages) came before this point. */
  step: number;
}

export interface DecisionPoint extends DecisionState {
  /** `answer`, or a tool call's tool name. */
  action: string;
}

/** The decision points of a past trajectory, in turn order. */
export function decisionPointsOf(trajectory: Pick<Trajectory, 'turns'>): DecisionPoint[] {
  const points: DecisionPoint[] = [];
  const history: string[] = [];
  let step = 0;
  for (const turn of trajectory.turns) {
    if (turn.output_message === null) continue;
    if (turn.tool_calls.length === 0) points.push({ history: [...history], step, action: answerAction });
    for (const call of turn.tool_calls) {
      points.push({ history: [...history], step, action: call.name });
      history.push(call.name);
    }
    step++;
  }
  return points;
}

export interface ConversationState extends DecisionState {
  /** The first user message's text, '' when the conversation has none. */
  task: string;
}

/** Where a conversation stands: its task (first user message), the tools it called so far and how many turns it took. */
export function conversationStateOf(messages: readonly Message[]): ConversationState {
  const firstUser = messages.find((message) => message.role === 'user');
  const assistants = messages.filter((message) => message.role === 'assistant');
  return {
    task: firstUser ? contentText(firstUser.content).trim() : '',
    history: assistants.flatMap((message) => (message.tool_calls ?? []).map((call) => call.function.name)),
    step: assistants.length,
  };
}

/** The action a candidate stands for: its tool name, or `answer`. Arguments do not change it (see predict.ts). */
export function actionOf(candidate: CandidateAction): string {
  return candidate.type === 'tool_call' ? candidate.name : answerAction;
}
