/**
 * The shared history of context learning's benchmarks and regression tests: a deterministic set of agent
 * trajectories over 20 task families, with the ground truth a retrieval or analysis should recover.
 *
 * Each family has its own agent, tool set and typical tool sequence, five stored task wordings and two held-out
 * wordings (paraphrases that never appear in the stored texts, for queries). Wordings differ in words, not only
 * in order, and several families share words on purpose ("order", "book", "report", "summary", "customer"), so
 * lexical overlap alone does not decide the family.
 *
 * Outcomes: 6 of every 10 runs of a family succeed (final reward 0.6-1.0); the failures (reward 0) carry the
 * family's planted failure pattern, except the last failure of every ten, which fails for no planted reason:
 * - `tool_error`: one tool errors with a fixed text (e.g. "timeout after 3000 ms"), is retried, errors again,
 *   and the agent gives up; one successful run sees the same error once and recovers on retry;
 * - `skipped_step`: the run skips a validation step of the typical sequence, so the pair of tools around it
 *   becomes consecutive only in failures;
 * - `give_up`: the run's second tool call errors and the agent stops with an apology at its third chat call.
 *
 * Spans are produced with the real OpenTelemetry SDK: per trajectory an invoke_agent root (agent name, task id,
 * task description), one GenAI chat span per turn with the whole history in `gen_ai.input.messages` and tool
 * calls in `gen_ai.output.messages`, an execute_tool span per call (error status and error text on failure), and
 * an Agent Lightning reward span.
 */
import { ROOT_CONTEXT, SpanKind, SpanStatusCode, trace, type Context, type Tracer } from '@opentelemetry/api';
import { ProtobufTraceSerializer } from '@opentelemetry/otlp-transformer';
import { resourceFromAttributes } from '@opentelemetry/resources';
import {
  BasicTracerProvider,
  InMemorySpanExporter,
  SimpleSpanProcessor,
  type ReadableSpan,
} from '@opentelemetry/sdk-trace-base';

export type PlantedPattern =
  | { kind: 'tool_error'; tool: string; error: string }
  | { kind: 'skipped_step'; skipped: string; sequence: [string, string] }
  | {
      kind: 'give_up';
      /** The chat call (1-based) the run ends at; the trajectory's turn index is this minus one. */
      turn: number;
      /** The tool whose error precedes giving up. */
      afterErrorOf: string;
    };

export interface TaskFamily {
  name: string;
  agent: string;
  /** The typical tool sequence of a successful run. */
  sequence: string[];
  /** Stored wordings, `{}` is filled with an entity. */
  wordings: string[];
  /** Held-out wordings: queries only, never stored. */
  heldOut: string[];
  entities: string[];
  pattern: PlantedPattern;
}

const families: TaskFamily[] = [
  {
    name: 'book a flight',
    agent: 'flight-booker',
    sequence: ['search_flights', 'compare_fares', 'book_flight', 'send_confirmation'],
    wordings: [
      'Book a flight to {} for next Tuesday',
      'I need a plane ticket to {}, economy is fine',
      'Find and reserve the cheapest airfare to {}',
      'Get me on a flight heading to {} this weekend',
      'Purchase a one-way air ticket for {}',
    ],
    heldOut: ['Could you arrange air travel to {} for me?', 'Sort out my trip by plane to {}, lowest fare please'],
    entities: ['Oslo', 'Lisbon', 'Nairobi', 'Osaka', 'Denver', 'Quito', 'Tallinn'],
    pattern: { kind: 'tool_error', tool: 'compare_fares', error: 'timeout after 3000 ms' },
  },
  {
    name: 'book a hotel',
    agent: 'hotel-booker',
    sequence: ['search_hotels', 'check_availability', 'reserve_room', 'send_confirmation'],
    wordings: [
      'Book a hotel room in {} for two nights',
      'Find accommodation near the centre of {}',
      'Reserve somewhere to stay in {} with breakfast included',
      'I need lodging in {} from Friday to Sunday',
      'Get a double room at a guesthouse in {}',
    ],
    heldOut: ['Where can I sleep in {}? Please make the reservation', 'Arrange an overnight stay for me in {}'],
    entities: ['Vienna', 'Kyoto', 'Porto', 'Cusco', 'Bergen', 'Hanoi', 'Seville'],
    pattern: { kind: 'skipped_step', skipped: 'check_availability', sequence: ['search_hotels', 'reserve_room'] },
  },
  {
    name: 'refund an order',
    agent: 'refund-agent',
    sequence: ['lookup_order', 'validate_refund', 'issue_refund', 'notify_customer'],
    wordings: [
      'Refund order {} because the item arrived broken',
      'The customer wants their money back for order {}',
      'Process a reimbursement for purchase {}',
      'Give a refund on order {}, the package was damaged',
      'Return the payment for order {} to the customer card',
    ],
    heldOut: ['Please pay back what the buyer spent on {}', 'Reverse the charge for purchase {} and credit the client'],
    entities: ['A-1043', 'B-2290', 'C-3317', 'D-4471', 'E-5092', 'F-6610', 'G-7734'],
    pattern: { kind: 'skipped_step', skipped: 'validate_refund', sequence: ['lookup_order', 'issue_refund'] },
  },
  {
    name: 'cancel a subscription',
    agent: 'subscription-agent',
    sequence: ['lookup_account', 'cancel_plan', 'confirm_cancellation'],
    wordings: [
      'Cancel the subscription of account {}',
      'The customer {} wants to stop their monthly plan',
      'Terminate the membership for user {}',
      'End the recurring billing plan of {}',
      'Unsubscribe account {} from the premium tier',
    ],
    heldOut: [
      'Account {} no longer wants to be charged every month, close it',
      'Discontinue the plan that {} pays for',
    ],
    entities: ['u-81', 'u-207', 'u-339', 'u-412', 'u-586', 'u-690', 'u-744'],
    pattern: { kind: 'give_up', turn: 3, afterErrorOf: 'cancel_plan' },
  },
  {
    name: 'summarise a paper',
    agent: 'paper-summarizer',
    sequence: ['fetch_page', 'extract_sections', 'summarize_text'],
    wordings: [
      'Summarise the paper at arxiv {}',
      'Give me the key findings of the article {}',
      'Write an abstract-length summary of publication {}',
      'What does the research paper {} conclude?',
      'Condense the preprint {} into five bullet points',
    ],
    heldOut: ['Read study {} and tell me its main results briefly', 'TL;DR of the scientific manuscript {}'],
    entities: ['2301.0042', '2302.1187', '2305.3321', '2307.4410', '2309.5528', '2311.6603', '2312.7781'],
    pattern: { kind: 'tool_error', tool: 'fetch_page', error: 'timeout after 3000 ms' },
  },
  {
    name: 'translate a document',
    agent: 'translator',
    sequence: ['load_document', 'detect_language', 'translate_text', 'check_terminology'],
    wordings: [
      'Translate the document {} into German',
      'Convert the contract {} from Spanish to English',
      'Render the manual {} in French',
      'I need {} translated to Japanese',
      'Produce an Italian version of file {}',
    ],
    heldOut: ['Put the text of {} into Portuguese', 'Make {} readable for Dutch speakers'],
    entities: ['doc-12', 'doc-31', 'doc-47', 'doc-58', 'doc-66', 'doc-73', 'doc-95'],
    pattern: { kind: 'give_up', turn: 3, afterErrorOf: 'detect_language' },
  },
  {
    name: 'fix a failing test',
    agent: 'code-fixer',
    sequence: ['read_file', 'run_tests', 'edit_file', 'run_tests'],
    wordings: [
      'Fix the failing test in {}',
      'The unit tests of {} are red, make them pass',
      'Debug why {} breaks the build and repair it',
      'CI fails on {}; find the bug and patch it',
      'Repair the broken assertion in {}',
    ],
    heldOut: ['Get the test suite of {} green again', 'Something in {} makes the checks fail, sort it out'],
    entities: ['parser.ts', 'cache.py', 'router.go', 'auth.rs', 'queue.java', 'index.js', 'billing.rb'],
    pattern: { kind: 'give_up', turn: 3, afterErrorOf: 'run_tests' },
  },
  {
    name: 'write a SQL report',
    agent: 'sql-analyst',
    sequence: ['list_tables', 'describe_table', 'run_query', 'format_report'],
    wordings: [
      'Write a SQL report of {} by month',
      'Query the database for total {} per region',
      'Build a table showing {} for the last quarter',
      'How many {} did we have each week? Use the warehouse',
      'Aggregate {} from the sales schema into a report',
    ],
    heldOut: ['Pull numbers on {} out of our data warehouse', 'Chart {} over time from the analytics tables'],
    entities: ['orders', 'signups', 'revenue', 'churned users', 'returns', 'page views', 'tickets'],
    pattern: { kind: 'tool_error', tool: 'run_query', error: 'syntax error near GROUP at line 4' },
  },
  {
    name: 'schedule a meeting',
    agent: 'scheduler',
    sequence: ['check_calendar', 'find_slot', 'create_event', 'send_invite'],
    wordings: [
      'Schedule a meeting with {} next week',
      'Set up a 30 minute call with {}',
      'Book time in the calendar with {} on Thursday',
      'Arrange a sync between me and {}',
      'Find a slot for a review with {}',
    ],
    heldOut: ['Get {} and me together for half an hour', 'Put an appointment with {} in our diaries'],
    entities: ['Priya', 'Tomasz', 'Aiko', 'Chidi', 'Marta', 'Lars', 'Ines'],
    pattern: { kind: 'skipped_step', skipped: 'find_slot', sequence: ['check_calendar', 'create_event'] },
  },
  {
    name: 'weather forecast',
    agent: 'weather-agent',
    sequence: ['geocode_city', 'get_forecast', 'format_answer'],
    wordings: [
      'What is the weather forecast for {} tomorrow?',
      'Will it rain in {} this weekend?',
      'Temperature outlook for {} over the next days',
      'Should I pack an umbrella for {}?',
      'How cold will it be in {} on Monday?',
    ],
    heldOut: ['Is {} going to be sunny or stormy soon?', 'Tell me the conditions expected in {} later this week'],
    entities: ['Lyon', 'Dublin', 'Perth', 'Montreal', 'Santiago', 'Cairo', 'Helsinki'],
    pattern: { kind: 'tool_error', tool: 'get_forecast', error: 'upstream returned 503 service unavailable' },
  },
  {
    name: 'reset a password',
    agent: 'it-helpdesk',
    sequence: ['lookup_user', 'verify_identity', 'reset_password', 'send_email'],
    wordings: [
      'Reset the password of {}',
      '{} is locked out of their account, help them log in',
      'Issue new login credentials for {}',
      '{} forgot their password',
      'Unlock the account of employee {}',
    ],
    heldOut: ['{} cannot sign in anymore, give them access again', 'Change the passphrase for staff member {}'],
    entities: ['jdoe', 'mkhan', 'lchen', 'rsilva', 'apetrov', 'knguyen', 'bmüller'],
    pattern: { kind: 'skipped_step', skipped: 'verify_identity', sequence: ['lookup_user', 'reset_password'] },
  },
  {
    name: 'track a package',
    agent: 'shipping-tracker',
    sequence: ['lookup_order', 'track_shipment', 'estimate_delivery'],
    wordings: [
      'Where is the package for order {}?',
      'Track shipment {} and tell me when it arrives',
      'Has parcel {} been delivered yet?',
      'Check the delivery status of order {}',
      'When will the customer receive order {}?',
    ],
    heldOut: ['Locate the box sent under {} and give an ETA', 'Is consignment {} still in transit?'],
    entities: ['A-1822', 'B-2745', 'C-3968', 'D-4019', 'E-5153', 'F-6287', 'G-7302'],
    pattern: { kind: 'tool_error', tool: 'track_shipment', error: 'carrier API rate limit exceeded' },
  },
  {
    name: 'convert currency',
    agent: 'fx-agent',
    sequence: ['get_rate', 'convert_amount', 'format_answer'],
    wordings: [
      'Convert {} to euros',
      'How much is {} in Japanese yen?',
      'Exchange {} into British pounds at today rate',
      'What would {} be worth in Swiss francs?',
      'Change {} to Canadian dollars',
    ],
    heldOut: ['If I swap {} for rupees, what do I get?', 'Give me the value of {} in Mexican pesos'],
    entities: ['250 USD', '90 GBP', '1200 SEK', '75 AUD', '5000 JPY', '310 CHF', '48 EUR'],
    pattern: { kind: 'give_up', turn: 3, afterErrorOf: 'convert_amount' },
  },
  {
    name: 'news digest',
    agent: 'news-digest',
    sequence: ['search_news', 'fetch_page', 'summarize_text', 'format_answer'],
    wordings: [
      'Give me a digest of today news about {}',
      'What are the latest headlines on {}?',
      'Summarise recent press coverage of {}',
      'Brief me on what happened with {} this week',
      'Collect the top stories mentioning {}',
    ],
    heldOut: ['Catch me up on current events around {}', 'Any breaking developments regarding {}?'],
    entities: ['electric cars', 'the elections', 'solar power', 'the central bank', 'chip exports', 'the olympics'],
    pattern: { kind: 'skipped_step', skipped: 'fetch_page', sequence: ['search_news', 'summarize_text'] },
  },
  {
    name: 'plan meals',
    agent: 'meal-planner',
    sequence: ['search_recipes', 'scale_recipe', 'build_shopping_list'],
    wordings: [
      'Plan dinners for a week for {}',
      'Suggest recipes suitable for {} and list ingredients',
      'Make a meal plan for {} with a shopping list',
      'What should I cook this week for {}?',
      'Create a menu for {} for the next five days',
    ],
    heldOut: ['I have to feed {} all week, what do I buy and prepare?', 'Organise the cooking for {} until Sunday'],
    entities: ['a vegan family', 'two toddlers', 'a marathon runner', 'six guests', 'a diabetic patient'],
    pattern: { kind: 'tool_error', tool: 'scale_recipe', error: 'invalid unit conversion from cups to grams' },
  },
  {
    name: 'file an expense report',
    agent: 'expense-agent',
    sequence: ['parse_receipt', 'categorize_expense', 'validate_policy', 'submit_report'],
    wordings: [
      'File an expense report for the {} receipt',
      'Submit my {} costs for reimbursement',
      'Claim back the {} I paid on the business trip',
      'Add the {} bill to this month expenses',
      'Record the {} receipt in the expense system',
    ],
    heldOut: ['Get the company to cover my {} spending', 'Put in a claim for the {} from my travel'],
    entities: ['taxi', 'hotel', 'dinner', 'conference', 'train', 'parking', 'software licence'],
    pattern: { kind: 'skipped_step', skipped: 'validate_policy', sequence: ['categorize_expense', 'submit_report'] },
  },
  {
    name: 'deploy a service',
    agent: 'deploy-agent',
    sequence: ['build_image', 'run_tests', 'deploy_service', 'check_health'],
    wordings: [
      'Deploy the {} service to production',
      'Ship the latest build of {} to the cluster',
      'Roll out version 2 of {}',
      'Release {} to staging and verify it is healthy',
      'Push the new {} container live',
    ],
    heldOut: ['Get the newest {} code running for users', 'Upgrade {} in prod with the current main branch'],
    entities: ['checkout', 'search-api', 'notifications', 'billing', 'gateway', 'profile', 'ledger'],
    pattern: { kind: 'tool_error', tool: 'deploy_service', error: 'permission denied for namespace prod' },
  },
  {
    name: 'answer an HR question',
    agent: 'hr-assistant',
    sequence: ['search_policy', 'read_policy', 'format_answer'],
    wordings: [
      'How many vacation days do I get after {}?',
      'What is the parental leave policy for {}?',
      'Am I allowed to work remotely during {}?',
      'Explain the sick leave rules that apply to {}',
      'What does the handbook say about {}?',
    ],
    heldOut: ['Per company rules, what am I entitled to regarding {}?', 'Look up our staff guidelines on {}'],
    entities: ['five years', 'contractors', 'probation', 'part-time staff', 'the holidays', 'overtime'],
    pattern: { kind: 'give_up', turn: 3, afterErrorOf: 'read_policy' },
  },
  {
    name: 'screen a candidate',
    agent: 'recruiter',
    sequence: ['parse_resume', 'score_candidate', 'schedule_interview'],
    wordings: [
      'Screen the resume of {} for the backend role',
      'Evaluate whether {} fits the data engineer opening',
      'Review the CV from {} and rate them',
      'Assess applicant {} against the job requirements',
      'Shortlist {} if their experience matches the posting',
    ],
    heldOut: ['Is {} a good hire for our platform team?', 'Go through what {} sent us and decide on an interview'],
    entities: ['Ana Ruiz', 'Ben Okafor', 'Chen Wei', 'Dana Levi', 'Emil Novak', 'Fatima Zahra', 'Goran Ilic'],
    pattern: { kind: 'tool_error', tool: 'parse_resume', error: 'unsupported file format docx' },
  },
  {
    name: 'dispute an invoice',
    agent: 'billing-agent',
    sequence: ['lookup_invoice', 'compare_charges', 'issue_credit', 'notify_customer'],
    wordings: [
      'The customer disputes invoice {}, check the charges',
      'Invoice {} looks wrong, investigate the billing',
      'Resolve a billing complaint about invoice {}',
      'Audit the line items on bill {} and correct overcharges',
      'A client says they were double charged on {}',
    ],
    heldOut: ['Someone thinks statement {} overbilled them, handle it', 'Sort out the contested amount on {}'],
    entities: ['INV-301', 'INV-418', 'INV-527', 'INV-639', 'INV-744', 'INV-852', 'INV-963'],
    pattern: { kind: 'give_up', turn: 3, afterErrorOf: 'compare_charges' },
  },
];

export interface HistoryTrajectory {
  /** Position in the history, also the task id's number. */
  index: number;
  family: string;
  agent: string;
  taskId: string;
  task: string;
  outcome: 'success' | 'failure';
  finalReward: number;
  /** The planted pattern this run shows, if any. */
  planted: PlantedPattern['kind'] | 'recovered_error' | undefined;
  /** The tool calls as run, with whether each errored. */
  calls: Array<{ tool: string; error?: string }>;
}

export interface HeldOutQuery {
  family: string;
  text: string;
}

export interface ContextHistory {
  families: TaskFamily[];
  trajectories: HistoryTrajectory[];
  queries: HeldOutQuery[];
}

export interface ContextHistoryOptions {
  /** The first this many families. @default 20 */
  families?: number;
  /** Runs per family; outcomes repeat every 10 (6 successes). @default 10 */
  perFamily?: number;
}

/** Positions within each ten runs of a family that fail; the last of them fails without a planted pattern. */
const failingPositions = [1, 3, 6, 8];

function fill(wording: string, entity: string): string {
  return wording.replace('{}', entity);
}

function planRun(family: TaskFamily, familyIndex: number, position: number, index: number): HistoryTrajectory {
  const entity = family.entities[(position * 3 + familyIndex) % family.entities.length]!;
  const task = fill(family.wordings[position % family.wordings.length]!, entity);
  const failing = failingPositions.includes(position % 10);
  const plantedFailure = failing && position % 10 !== 8;
  const rewardStep = ((position * 7 + familyIndex) % 5) / 10;
  const base = {
    index,
    family: family.name,
    agent: family.agent,
    taskId: `task-${family.agent}-${position}`,
    task,
    outcome: failing ? ('failure' as const) : ('success' as const),
    finalReward: failing ? 0 : 0.6 + rewardStep,
  };
  const sequence: Array<{ tool: string; error?: string }> = family.sequence.map((tool) => ({ tool }));
  if (!plantedFailure) {
    // One successful run of a tool_error family meets the error once and recovers by retrying.
    if (!failing && position % 10 === 0 && family.pattern.kind === 'tool_error') {
      const { tool, error } = family.pattern;
      const at = family.sequence.indexOf(tool);
      sequence.splice(at, 0, { tool, error });
      return { ...base, planted: 'recovered_error', calls: sequence };
    }
    return { ...base, planted: undefined, calls: sequence };
  }
  const pattern = family.pattern;
  if (pattern.kind === 'tool_error') {
    const at = family.sequence.indexOf(pattern.tool);
    const calls = [
      ...sequence.slice(0, at),
      { tool: pattern.tool, error: pattern.error },
      { tool: pattern.tool, error: pattern.error },
    ];
    return { ...base, planted: 'tool_error', calls };
  }
  if (pattern.kind === 'skipped_step') {
    return { ...base, planted: 'skipped_step', calls: sequence.filter((call) => call.tool !== pattern.skipped) };
  }
  // give_up: the calls before the erroring one, the erroring one, then the final (apologising) chat call, which
  // is chat call number `turn`; the sequences are built so that `afterErrorOf` is the (turn - 1)th tool call.
  const at = family.sequence.indexOf(pattern.afterErrorOf);
  const calls = [...sequence.slice(0, at), { tool: pattern.afterErrorOf, error: `${pattern.afterErrorOf} failed` }];
  if (calls.length !== pattern.turn - 1)
    throw new Error(`family ${family.name}: ${pattern.afterErrorOf} must be tool call ${pattern.turn - 1}`);
  return { ...base, planted: 'give_up', calls };
}

/** The history (and its ground truth), the same for the same options. */
export function contextHistory(options: ContextHistoryOptions = {}): ContextHistory {
  const chosen = families.slice(0, options.families ?? families.length);
  const perFamily = options.perFamily ?? 10;
  const trajectories: HistoryTrajectory[] = [];
  // Interleaved by family, so the most recent runs of every family are spread over the whole time range.
  for (let position = 0; position < perFamily; position++) {
    chosen.forEach((family, familyIndex) =>
      trajectories.push(planRun(family, familyIndex, position, trajectories.length)),
    );
  }
  const queries = chosen.flatMap((family, familyIndex) =>
    family.heldOut.map((wording, wordingIndex) => ({
      family: family.name,
      // An entity the stored runs also use: the query is about the same kind of thing, worded differently.
      text: fill(wording, family.entities[(familyIndex + wordingIndex * 2 + 1) % family.entities.length]!),
    })),
  );
  return { families: chosen, trajectories, queries };
}

function toolArguments(run: HistoryTrajectory, tool: string): Record<string, unknown> {
  return { request: run.task, tool_input: `${tool} for ${run.taskId}` };
}

function toolResult(run: HistoryTrajectory, tool: string, step: number): string {
  return `${tool} done for ${run.taskId}: step ${step + 1} of the ${run.family} workflow completed`;
}

function finalText(run: HistoryTrajectory): string {
  if (run.outcome === 'success') return `Done: ${run.task}. Every step completed and the result is confirmed.`;
  if (run.planted === 'give_up' || run.planted === 'tool_error')
    return `Sorry, I could not complete "${run.task}" because a tool kept failing.`;
  return `Finished "${run.task}", but the result could not be confirmed.`;
}

/**
 * Emits one trajectory through `tracer`, its spans timed from `startMillis` (one second per step), so the history
 * has a stable order by time.
 */
export function emitHistoryTrajectory(tracer: Tracer, run: HistoryTrajectory, startMillis: number): void {
  let clock = startMillis;
  const tick = () => (clock += 1000);
  const root = tracer.startSpan(`invoke_agent ${run.agent}`, {
    startTime: clock,
    attributes: {
      'gen_ai.operation.name': 'invoke_agent',
      'gen_ai.agent.name': run.agent,
      'trajectory.task.id': run.taskId,
      'trajectory.task.description': run.task,
    },
  });
  const context: Context = trace.setSpan(ROOT_CONTEXT, root);
  const history: unknown[] = [{ role: 'user', parts: [{ type: 'text', content: run.task }] }];
  const system = JSON.stringify([
    { type: 'text', content: `You are ${run.agent}. Use your tools to ${run.family}, then report the result.` },
  ]);
  const chat = (output: unknown, finishReason: string, step: number) => {
    const span = tracer.startSpan(
      'chat gpt-4o-mini',
      {
        kind: SpanKind.CLIENT,
        startTime: tick(),
        attributes: {
          'gen_ai.operation.name': 'chat',
          'gen_ai.provider.name': 'openai',
          'gen_ai.request.model': 'gpt-4o-mini',
          'gen_ai.response.model': 'gpt-4o-mini-2024-07-18',
          'gen_ai.response.id': `chatcmpl-${run.index}-${step}`,
          'gen_ai.response.finish_reasons': [finishReason],
          'gen_ai.usage.input_tokens': 200 + history.length * 40,
          'gen_ai.usage.output_tokens': 30,
          'gen_ai.system_instructions': system,
          'gen_ai.input.messages': JSON.stringify(history),
          'gen_ai.output.messages': JSON.stringify([output]),
        },
      },
      context,
    );
    span.end(tick());
    history.push(output);
  };
  run.calls.forEach((call, step) => {
    const callId = `call_${run.index}_${step}`;
    const args = toolArguments(run, call.tool);
    chat(
      {
        role: 'assistant',
        parts: [{ type: 'tool_call', id: callId, name: call.tool, arguments: args }],
        finish_reason: 'tool_call',
      },
      'tool_call',
      step,
    );
    const result = call.error === undefined ? toolResult(run, call.tool, step) : `Error: ${call.error}`;
    const execution = tracer.startSpan(
      `execute_tool ${call.tool}`,
      {
        kind: SpanKind.INTERNAL,
        startTime: tick(),
        attributes: {
          'gen_ai.operation.name': 'execute_tool',
          'gen_ai.tool.name': call.tool,
          'gen_ai.tool.call.id': callId,
          'gen_ai.tool.call.arguments': JSON.stringify(args),
          'gen_ai.tool.call.result': result,
        },
      },
      context,
    );
    if (call.error !== undefined) execution.setStatus({ code: SpanStatusCode.ERROR, message: call.error });
    execution.end(tick());
    history.push({ role: 'tool', parts: [{ type: 'tool_call_response', id: callId, response: result }] });
  });
  chat(
    { role: 'assistant', parts: [{ type: 'text', content: finalText(run) }], finish_reason: 'stop' },
    'stop',
    run.calls.length,
  );
  const reward = tracer.startSpan(
    'agentlightning.annotation',
    {
      startTime: tick(),
      attributes: {
        'agentlightning.reward.0.name': 'task_success',
        'agentlightning.reward.0.value': run.finalReward,
      },
    },
    context,
  );
  reward.end(clock);
  root.end(tick());
}

/** Spans of every trajectory of the history (as the SDK finished them), run `spacingMillis` apart from `from`. */
export async function historySpans(
  history: ContextHistory,
  from: number,
  spacingMillis = 60_000,
): Promise<ReadableSpan[]> {
  const memory = new InMemorySpanExporter();
  const provider = new BasicTracerProvider({
    resource: resourceFromAttributes({ 'service.name': 'context-history', 'service.version': '1.0.0' }),
    spanProcessors: [new SimpleSpanProcessor(memory)],
  });
  const tracer = provider.getTracer('context-dataset', '1.0.0');
  for (const run of history.trajectories) emitHistoryTrajectory(tracer, run, from + run.index * spacingMillis);
  await provider.forceFlush();
  const spans = memory.getFinishedSpans();
  await provider.shutdown();
  return spans;
}

/** The same spans as encoded OTLP/HTTP protobuf bodies of at most `spansPerRequest` spans each. */
export function encodeSpans(spans: ReadableSpan[], spansPerRequest = 512): Uint8Array[] {
  const bodies: Uint8Array[] = [];
  for (let first = 0; first < spans.length; first += spansPerRequest) {
    const body = ProtobufTraceSerializer.serializeRequest(spans.slice(first, first + spansPerRequest));
    if (!body) throw new Error('the OTLP serializer produced no body');
    bodies.push(body);
  }
  return bodies;
}
