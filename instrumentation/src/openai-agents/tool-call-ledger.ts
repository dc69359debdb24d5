/**
 * Gives function and handoff spans the model's tool call id. The SDK's function span carries the tool name, the
 * arguments and the result but not the call id, and its handoff span only the agents' names; the id is in the
 * model response that asked for the call. So each agent keeps a ledger of the calls its latest model response
 * made, and every function or handoff span of that agent claims one: by name and identical arguments first (two
 * parallel calls of one tool), then by name; a handoff by the SDK's default tool name for its target
 * (`transfer_to_<agent>`), else the first call that is none of the agent's function tools (renamed handoffs).
 * Without the response (the SDK recorded no model data) nothing is claimed and the receiver pairs by position.
 */

export interface RequestedToolCall {
  id: string;
  name: string;
  /** The arguments as the model wrote them (JSON text). */
  arguments: string;
}

interface LedgerEntry extends RequestedToolCall {
  claimed: boolean;
}

export class ToolCallLedger {
  private entries: LedgerEntry[] = [];

  /** The calls of the agent's latest model response; the previous response's calls were answered before it. */
  offer(calls: readonly RequestedToolCall[]): void {
    this.entries = calls.map((call) => ({ ...call, claimed: false }));
  }

  claimFunction(name: string, args: string | undefined): RequestedToolCall | undefined {
    return (
      this.claim((entry) => entry.name === name && args !== undefined && entry.arguments === args) ??
      this.claim((entry) => entry.name === name)
    );
  }

  claimHandoff(toAgent: string | undefined, functionToolNames: readonly string[]): RequestedToolCall | undefined {
    const defaultName = toAgent === undefined ? undefined : defaultHandoffToolName(toAgent);
    return (
      (defaultName === undefined ? undefined : this.claim((entry) => entry.name === defaultName)) ??
      this.claim((entry) => !functionToolNames.includes(entry.name))
    );
  }

  private claim(matches: (entry: LedgerEntry) => boolean): RequestedToolCall | undefined {
    const entry = this.entries.find((candidate) => !candidate.claimed && matches(candidate));
    if (!entry) return undefined;
    entry.claimed = true;
    return { id: entry.id, name: entry.name, arguments: entry.arguments };
  }
}

/** The tool name the SDK gives a handoff to `agentName` unless it is overridden (`handoff.ts`, `toFunctionToolName`). */
export function defaultHandoffToolName(agentName: string): string {
  return `transfer_to_${agentName.replace(/[^a-zA-Z0-9]/g, '_')}`;
}
