/**
 * The context-learning MCP tools: the five operations of the contract (context-api.ts) as tools an agent can call
 * before it acts. Each takes the contract's request schema as its argument schema (the SDK validates arguments
 * with it and lists it as JSON Schema) and answers twice: text an LLM reads (the rendered examples, the patterns,
 * with the trajectory ids to cite) and `structuredContent`, the response itself for programs.
 */
import type { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import type { z } from 'zod';
import {
  ContextRequestError,
  examplesRequestSchema,
  examplesResponseSchema,
  failuresRequestSchema,
  failuresResponseSchema,
  predictRequestSchema,
  predictResponseSchema,
  searchRequestSchema,
  searchResponseSchema,
  toolsRequestSchema,
  toolsResponseSchema,
  type ContextService,
  type ExamplesResponse,
  type SearchResponse,
} from '../../src/context/context-api.ts';

export interface ContextToolOptions {
  /**
   * The message a caller sees for a failure on the answering side (not bad input). The receiver logs the error and
   * answers a stable text, since store errors carry ClickHouse's text; a remote service's errors are already fit to
   * show. @default the error's message
   */
  describeFailure?: (error: unknown) => string;
}

function searchText(response: SearchResponse): string {
  if (response.trajectories.length === 0) return 'No similar successful trajectories are stored.';
  const lines = response.trajectories.map(
    (hit, index) =>
      `${index + 1}. ${hit.task || '(no task text)'} — agent ${hit.agent_name}, reward ${hit.final_reward ?? 'none'}, ` +
      `${hit.tool_call_count} tool calls, similarity ${hit.similarity.toFixed(2)} (trajectory_id ${hit.trajectory_id})`,
  );
  return [`Similar successful trajectories (${response.retrieval} similarity):`, ...lines].join('\n');
}

function examplesText(response: ExamplesResponse): string {
  if (response.examples.length === 0) return 'No successful examples of similar tasks are stored.';
  const ids = response.examples.map((example) => example.trajectory_id).join(', ');
  return `${response.prompt}\n\n(trajectory ids: ${ids})`;
}

interface ToolDefinition<Request extends z.ZodType, Response extends z.ZodType> {
  name: string;
  title: string;
  description: string;
  input: Request;
  output: Response;
  call: (service: ContextService, request: z.output<Request>) => Promise<z.output<Response>>;
  text: (response: z.output<Response>) => string;
}

const searchTool: ToolDefinition<typeof searchRequestSchema, typeof searchResponseSchema> = {
  name: 'search_trajectories',
  title: 'Search past trajectories',
  description:
    'Find stored successful agent runs whose task is most similar to a task text (q). Returns each run with its ' +
    'trajectory_id, agent, reward, tool-call count and similarity. Use it to see whether a task was done before; ' +
    'use get_successful_examples to get how it was done.',
  input: searchRequestSchema,
  output: searchResponseSchema,
  call: (service, request) => service.search(request),
  text: searchText,
};

const examplesTool: ToolDefinition<typeof examplesRequestSchema, typeof examplesResponseSchema> = {
  name: 'get_successful_examples',
  title: 'Get successful examples',
  description:
    'Before starting a task, get how similar past tasks were done successfully: each example shows the task, ' +
    'the tool calls with arguments and short results, the final answer and the reward, within a token budget ' +
    '(max_tokens). Follow what worked; cite the trajectory ids if asked where the approach came from.',
  input: examplesRequestSchema,
  output: examplesResponseSchema,
  call: (service, request) => service.examples(request),
  text: examplesText,
};

const failuresTool: ToolDefinition<typeof failuresRequestSchema, typeof failuresResponseSchema> = {
  name: 'analyze_failure_patterns',
  title: 'Analyze failure patterns',
  description:
    'Learn how past runs of an agent or task went wrong, to avoid it: which tools fail and with which errors, ' +
    'at which turn failed runs give up, and which tool sequences come before failure more than before success, ' +
    'each with counts and example trajectory ids. Give at least one of agent, task_id or task.',
  input: failuresRequestSchema,
  output: failuresResponseSchema,
  call: (service, request) => service.failures(request),
  text: (response) => response.text,
};

const toolsTool: ToolDefinition<typeof toolsRequestSchema, typeof toolsResponseSchema> = {
  name: 'recommend_tools',
  title: 'Recommend tools',
  description:
    'Rank tools by their record in similar past runs (for a task text) or in all runs of an agent or task id: ' +
    'how often each was used, how often its calls succeeded, how often the runs using it succeeded, and the ' +
    'sequence it typically appears in. Use it to choose which tool to call first.',
  input: toolsRequestSchema,
  output: toolsResponseSchema,
  call: (service, request) => service.tools(request),
  text: (response) => response.text,
};

const predictTool: ToolDefinition<typeof predictRequestSchema, typeof predictResponseSchema> = {
  name: 'predict_outcome',
  title: 'Predict the outcome of an action',
  description:
    'At a decision point, estimate how a candidate action (a tool call by name, or answering now) turned out in ' +
    'similar past states: the success rate and mean reward with their support and supporting trajectory ids, ' +
    'and the same for the alternatives other runs took there. Pass the conversation so far as messages.',
  input: predictRequestSchema,
  output: predictResponseSchema,
  call: (service, request) => service.predict(request),
  text: (response) => response.text,
};

function failure(message: string): CallToolResult {
  return { content: [{ type: 'text', text: message }], isError: true };
}

function register<Request extends z.ZodType, Response extends z.ZodType>(
  server: McpServer,
  service: ContextService,
  tool: ToolDefinition<Request, Response>,
  describeFailure: (error: unknown) => string,
): void {
  // The SDK's generic signature infers argument types from the schema; the definition already carries them.
  const registerTool = server.registerTool.bind(server) as (
    name: string,
    config: { title: string; description: string; inputSchema: z.ZodType; outputSchema: z.ZodType },
    handler: (request: z.output<Request>) => Promise<CallToolResult>,
  ) => void;
  registerTool(
    tool.name,
    { title: tool.title, description: tool.description, inputSchema: tool.input, outputSchema: tool.output },
    async (request) => {
      try {
        const response = await tool.call(service, request);
        return {
          content: [{ type: 'text', text: tool.text(response) }],
          structuredContent: response as Record<string, unknown>,
        };
      } catch (error) {
        if (error instanceof ContextRequestError)
          return failure(`Invalid arguments for ${tool.name}: ${error.message}`);
        return failure(`${tool.name} failed: ${describeFailure(error)}`);
      }
    },
  );
}

export const contextToolNames = [searchTool, examplesTool, failuresTool, toolsTool, predictTool].map(
  (tool) => tool.name,
);

export function registerContextTools(
  server: McpServer,
  service: ContextService,
  options: ContextToolOptions = {},
): void {
  const describeFailure = options.describeFailure ?? ((error: unknown) => (error as Error).message);
  register(server, service, searchTool, describeFailure);
  register(server, service, examplesTool, describeFailure);
  register(server, service, failuresTool, describeFailure);
  register(server, service, toolsTool, describeFailure);
  register(server, service, predictTool, describeFailure);
}
