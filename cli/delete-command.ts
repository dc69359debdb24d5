/**
 * `trajectories delete --trace <id> | --trajectory <id> | --tenant`: deletion through the receiver's API (it owns
 * the store and keeps a deleted trace from coming back), for the token's tenant. Prints what was removed.
 */
import type { Command } from 'commander';
import { z } from 'zod';
import type { OptionTable } from '../src/config/option-definition.ts';
import { parseHeaderList } from '../src/exporters/trajectory-source.ts';
import { addOptions, resolveFlags } from './command-options.ts';
import { callReceiver } from './receiver-request.ts';
import { readLocationOptions } from './read-location.ts';

export const deleteOptions = {
  trace: { flag: '--trace <trace_id>', schema: z.string().min(1).optional(), description: 'delete this trace' },
  trajectory: {
    flag: '--trajectory <id>',
    schema: z.string().min(1).optional(),
    description: 'delete the traces this trajectory is made of',
  },
  tenant: {
    flag: '--tenant',
    schema: z.boolean().default(false),
    description: "delete everything of the token's tenant acknowledged so far",
  },
  receiver: readLocationOptions.receiver,
  token: readLocationOptions.token,
  otlpHeaders: readLocationOptions.otlpHeaders,
} satisfies OptionTable;

export function addDeleteCommand(program: Command): void {
  addOptions(
    program.command('delete').description('delete a trace, a trajectory or a whole tenant, with everything derived'),
    deleteOptions,
  ).action(async (parsed: Record<string, unknown>) => {
    const { values } = resolveFlags(deleteOptions, parsed, process.env);
    const chosen = [values.trace, values.trajectory, values.tenant ? 'tenant' : undefined].filter(Boolean);
    if (chosen.length !== 1) throw new Error('pass exactly one of --trace <id>, --trajectory <id>, --tenant');
    const path = values.trace
      ? `/v1/traces/${encodeURIComponent(values.trace)}`
      : values.trajectory
        ? `/v1/trajectories/${encodeURIComponent(values.trajectory)}`
        : '/v1/tenant';
    const body = await callReceiver(
      { url: values.receiver, token: values.token, headers: parseHeaderList(values.otlpHeaders) },
      'DELETE',
      path,
    );
    const { deleted } = JSON.parse(body) as {
      deleted: { traces?: string[]; trajectories?: string[]; tenant?: string };
    };
    if (deleted.tenant !== undefined) console.log(`deleted everything of tenant ${deleted.tenant}`);
    else
      console.log(
        `deleted ${deleted.traces?.length ?? 0} trace(s) and ${deleted.trajectories?.length ?? 0} trajectory(ies): ${[
          ...(deleted.traces ?? []),
        ].join(', ')}`,
      );
  });
}
