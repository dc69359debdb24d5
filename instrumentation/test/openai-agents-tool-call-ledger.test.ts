/**
 * The ledger that gives the Agents SDK's function and handoff spans the model's call ids: the matching rules on
 * their own, for the cases a scripted run does not reach (parallel calls of one tool ending out of order, a
 * renamed handoff tool, a call claimed once only).
 */
import { describe, expect, it } from 'vitest';
import { defaultHandoffToolName, ToolCallLedger } from '../src/openai-agents/tool-call-ledger.ts';

const call = (id: string, name: string, args = '{}') => ({ id, name, arguments: args });

describe('tool call ledger', () => {
  it('gives parallel calls of one tool their own ids by arguments, whichever tool span ends first', () => {
    const ledger = new ToolCallLedger();
    ledger.offer([call('c1', 'weather', '{"city":"Oslo"}'), call('c2', 'weather', '{"city":"Rome"}')]);
    expect(ledger.claimFunction('weather', '{"city":"Rome"}')?.id).toBe('c2');
    expect(ledger.claimFunction('weather', '{"city":"Oslo"}')?.id).toBe('c1');
  });

  it('falls back to the name when the span has no arguments (the run traces no sensitive data), in order', () => {
    const ledger = new ToolCallLedger();
    ledger.offer([call('c1', 'weather'), call('c2', 'weather')]);
    expect(ledger.claimFunction('weather', undefined)?.id).toBe('c1');
    expect(ledger.claimFunction('weather', undefined)?.id).toBe('c2');
    expect(ledger.claimFunction('weather', undefined)).toBeUndefined();
  });

  it("claims a handoff by the SDK's default transfer tool name, else by the first call that is no function tool", () => {
    const ledger = new ToolCallLedger();
    ledger.offer([call('c1', 'lookup'), call('c2', 'escalate_to_human'), call('c3', 'transfer_to_Math_expert')]);
    expect(ledger.claimHandoff('Math expert', ['lookup'])?.id).toBe('c3');
    expect(ledger.claimHandoff('Support desk', ['lookup'])?.id).toBe('c2');
    expect(ledger.claimHandoff('Support desk', ['lookup'])).toBeUndefined();
    expect(ledger.claimFunction('lookup', '{}')?.id).toBe('c1');
  });

  it("forgets the previous response's calls when the next response offers its own", () => {
    const ledger = new ToolCallLedger();
    ledger.offer([call('c1', 'lookup')]);
    ledger.offer([call('c9', 'lookup')]);
    expect(ledger.claimFunction('lookup', '{}')?.id).toBe('c9');
    expect(ledger.claimFunction('lookup', '{}')).toBeUndefined();
  });

  it("names handoff tools as the SDK does: every character that is not a letter or digit becomes '_'", () => {
    expect(defaultHandoffToolName('Math expert')).toBe('transfer_to_Math_expert');
    expect(defaultHandoffToolName('billing-agent (EU)')).toBe('transfer_to_billing_agent__EU_');
  });
});
