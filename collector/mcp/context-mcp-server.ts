/**
 * One MCP server offering the context-learning tools over a ContextService, whichever transport carries it: the
 * receiver's `/mcp` route (a server per request, bound to the caller's tenant) and `trajectories mcp` (stdio).
 */
import { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import type { ContextService } from '../../src/context/context-api.ts';
import { registerContextTools, type ContextToolOptions } from './context-tools.ts';

export const mcpServerInfo = {
  name: 'agent-trajectories',
  title: 'Agent trajectories: context learning',
  version: '0.1.0',
};

const instructions =
  'Past runs of agents, stored with their tool calls and rewards. Before a task, call get_successful_examples ' +
  'with the task text and follow what worked; analyze_failure_patterns and recommend_tools say what to avoid and ' +
  'which tools to use; predict_outcome estimates how an action you are about to take turned out before.';

export function createContextMcpServer(service: ContextService, options: ContextToolOptions = {}): McpServer {
  const server = new McpServer(mcpServerInfo, { instructions });
  registerContextTools(server, service, options);
  return server;
}
