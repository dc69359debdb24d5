/**
 * `trajectories mcp`: the context-learning tools over the Model Context Protocol on stdin/stdout, for MCP clients
 * that launch their servers as processes (Claude Desktop, IDEs, agent frameworks). It reads through a receiver's
 * context API, since the receiver owns the store. Stdout carries MCP messages only: anything else written there
 * would corrupt the stream, so diagnostics go to stderr.
 */
import type { Command } from 'commander';
import { StdioServerTransport } from '@modelcontextprotocol/sdk/server/stdio.js';
import type { OptionTable } from '../src/config/option-definition.ts';
import { parseHeaderList } from '../src/exporters/trajectory-source.ts';
import { createContextMcpServer } from '../collector/mcp/context-mcp-server.ts';
import { createRemoteContextService } from '../collector/mcp/remote-context-service.ts';
import { addOptions, resolveFlags } from './command-options.ts';
import { readLocationOptions } from './read-location.ts';

export const mcpOptions = {
  receiver: readLocationOptions.receiver,
  token: readLocationOptions.token,
  otlpHeaders: readLocationOptions.otlpHeaders,
} satisfies OptionTable;

async function serveMcp(parsed: Record<string, unknown>): Promise<void> {
  const { values } = resolveFlags(mcpOptions, parsed, process.env);
  const service = createRemoteContextService({
    url: values.receiver,
    token: values.token,
    headers: parseHeaderList(values.otlpHeaders),
  });
  const server = createContextMcpServer(service);
  await server.connect(new StdioServerTransport());
  console.error(`trajectories mcp: serving context-learning tools on stdio, reading through ${values.receiver}`);
  // The transport ends with stdin: the client closed the pipe, so there is nobody left to answer.
  await new Promise<void>((resolve) => process.stdin.once('close', resolve));
  await server.close();
}

export function addMcpCommand(program: Command): void {
  addOptions(
    program
      .command('mcp')
      .description('serve the context-learning tools (examples, failures, tools, predict) over MCP on stdio'),
    mcpOptions,
  ).action(serveMcp);
}
