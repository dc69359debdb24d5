/**
 * Runs the real `trajectories` command (bin/trajectories.mjs in a child process, as a user runs it) with an
 * environment cleaned of this machine's TRAJECTORIES_* / CLICKHOUSE_URL / OTLP header settings, so a test sees
 * exactly the variables it sets.
 */
import { execFile, spawn } from 'node:child_process';
import { join } from 'node:path';

export const cliPath = join(import.meta.dirname, '../../bin/trajectories.mjs');

export interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
}

export function cleanEnvironment(variables: Record<string, string> = {}): NodeJS.ProcessEnv {
  const environment: NodeJS.ProcessEnv = {};
  for (const [name, value] of Object.entries(process.env)) {
    if (!/^(TRAJECTORIES_|CLICKHOUSE_URL$|OTEL_EXPORTER_OTLP_HEADERS$)/.test(name)) environment[name] = value;
  }
  return { ...environment, ...variables };
}

export function runCli(
  args: string[],
  options: { env?: Record<string, string>; cwd?: string } = {},
): Promise<CliResult> {
  return new Promise((resolve) => {
    execFile(
      'node',
      [cliPath, ...args],
      { env: cleanEnvironment(options.env), cwd: options.cwd, timeout: 60_000 },
      (error, stdout, stderr) => {
        const code = error ? (typeof error.code === 'number' ? error.code : -1) : 0;
        resolve({ code, stdout, stderr });
      },
    );
  });
}

/** `trajectories serve ...` until it prints its ready line; `stop()` sends SIGTERM and waits for the exit. */
export async function startServe(
  args: string[],
  options: { env?: Record<string, string>; cwd?: string } = {},
): Promise<{ ready: string; stop(): Promise<number | null> }> {
  const child = spawn('node', [cliPath, 'serve', ...args], {
    env: cleanEnvironment(options.env),
    cwd: options.cwd,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  const ready = await new Promise<string>((resolve, reject) => {
    child.stdout.on('data', (chunk: Buffer) => {
      stdout += chunk.toString();
      if (/receiver ready[^\n]*\n[\s\S]*API/.test(stdout)) resolve(stdout);
    });
    void exited.then((code) => reject(new Error(`serve exited with ${code} before it was ready: ${stderr}`)));
  });
  return {
    ready,
    stop: async () => {
      child.kill('SIGTERM');
      return exited;
    },
  };
}
