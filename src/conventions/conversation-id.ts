/**
 * The conversation a span belongs to, from the attributes that name one explicitly. Root-less model calls (one
 * trace per call, no agent span) are stitched into one trajectory by this id, so every convention's spelling is
 * read here, for every span whatever convention claimed it: OpenLLMetry stamps its association properties, and
 * users their Langfuse session, on spans of any instrumentation that runs inside them. The list is in precedence
 * order (the GenAI name first); an id is only ever read from these attributes, never inferred from message
 * history or response ids, so a stitched conversation with an explicit id never depends on a guess.
 */
import type { Attributes } from '../model/otlp.ts';
import { readString } from './attributes.ts';

export const CONVERSATION_ID_ATTRIBUTES = [
  // OpenTelemetry GenAI (also what this product's `trajectory({ conversationId })` sets).
  'gen_ai.conversation.id',
  // OpenInference's `setSession` / `using_session`; Langfuse reads the same name.
  'session.id',
  // Langfuse's own name.
  'langfuse.session.id',
  // OpenLLMetry `withAssociationProperties({ session_id })` (its `AssociationProperty.SESSION_ID`), and the
  // thread id that LangGraph-style agents pass the same way.
  'traceloop.association.properties.session_id',
  'traceloop.association.properties.thread_id',
] as const;

/** The first explicit conversation id a span carries, or undefined. */
export function readConversationId(attributes: Attributes): string | undefined {
  for (const key of CONVERSATION_ID_ATTRIBUTES) {
    const value = readString(attributes[key]);
    if (value !== undefined) return value;
  }
  return undefined;
}
