/**
 * The kill -9 storm: one receiver process on a fixed port and data directory under load from retrying clients
 * (bench/reliability-clients.ts), killed with SIGKILL at random times and restarted each time; then a clean start
 * that the clients finish against, a drain, a clean stop, and the count from ClickHouse (bench/reliability-count.ts).
 *
 * The first process runs `baselineSeconds` unkilled: its acknowledged rate is the same-run baseline for the rate
 * under the storm. Every `startupKillEvery`-th kill lands during startup (before the receiver listens), the rest
 * a random time after it is ready; recovery times are measured on the restarts that reached ready.
 */
import { temporaryDirectory } from '../test/helpers/test-receiver.ts';
import { countStorm, type StormCount } from './reliability-count.ts';
import { RetryingClients, UniqueRequests, type ClientCounts } from './reliability-clients.ts';
import {
  freePort,
  health,
  killReceiver,
  lastLines,
  logPathBeside,
  openLogFile,
  spawnReceiver,
  stopReceiver,
  waitUntilDrained,
  type ReceiverChild,
} from './reliability-receiver.ts';

export interface StormOptions {
  kills: number;
  clients: number;
  /** Milliseconds after ready before a kill, drawn uniformly from [min, max]. */
  uptimeMillis: { min: number; max: number };
  startupKillEvery: number;
  baselineSeconds: number;
  seed: number;
  /** Encoded request bodies to patch fresh trace ids into. */
  bodies: Uint8Array[];
}

export interface Restart {
  /** Spawn to /healthz answering 200 with status ok. */
  healthyMillis?: number;
  /** Spawn to the first 200 any client received from this process. */
  firstAcceptedMillis?: number;
}

export interface StormReport {
  dataDir: string;
  logPath: string;
  count: StormCount;
  restarts: Restart[];
  killsAfterReady: number;
  killsDuringStartup: number;
  /** Starts that exited on their own before ready (a crash on recovery), and their last log lines. */
  failedStarts: { reason: string; log: string }[];
  baselineSpansPerSecond: number;
  stormSpansPerSecond: number;
  stormSeconds: number;
  drained: boolean;
  stoppedCleanly: boolean;
  clientCounts: ClientCounts;
}

/** mulberry32: a seeded generator, so a failing storm can be run again with the same kill times. */
function seededRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let mixed = Math.imul(state ^ (state >>> 15), 1 | state);
    mixed = (mixed + Math.imul(mixed ^ (mixed >>> 7), 61 | mixed)) ^ mixed;
    return ((mixed ^ (mixed >>> 14)) >>> 0) / 4294967296;
  };
}

const sleep = (millis: number) => new Promise((resolve) => setTimeout(resolve, millis));
const startDeadlineMillis = 120_000;
const failedStartsAllowed = 3;

export async function runStorm(options: StormOptions, progress: (line: string) => void): Promise<StormReport> {
  const random = seededRandom(options.seed);
  const dataDir = temporaryDirectory('bench-reliability-');
  const logPath = logPathBeside(dataDir);
  const logFile = openLogFile(logPath);
  const port = await freePort();
  const requests = new UniqueRequests(options.bodies);
  let current: { receiver: ReceiverChild; restart: Restart } | undefined;
  const clients = new RetryingClients({
    endpoint: new URL(`http://127.0.0.1:${port}/v1/traces`),
    requests,
    clients: options.clients,
    onAccepted: (at) => {
      if (current && current.restart.firstAcceptedMillis === undefined)
        current.restart.firstAcceptedMillis = at - current.receiver.spawnedAt;
    },
  });
  const restarts: Restart[] = [];
  const failedStarts: StormReport['failedStarts'] = [];
  let killsAfterReady = 0;
  let killsDuringStartup = 0;
  let lastStartupMillis = 3000;

  /** Spawns, and polls /healthz until ok for as long as this process lives. */
  const start = (): ReceiverChild => {
    const receiver = spawnReceiver({ dataDir, port, logFile });
    const restart: Restart = {};
    current = { receiver, restart };
    restarts.push(restart);
    void (async () => {
      while (receiver.child.exitCode === null && receiver.child.signalCode === null) {
        const answer = await health(receiver.url);
        if (answer.httpStatus === 200 && answer.status === 'ok') {
          restart.healthyMillis = performance.now() - receiver.spawnedAt;
          return;
        }
        await sleep(20);
      }
    })();
    return receiver;
  };

  /** Resolves once ready; throws after too many starts that crashed on their own. */
  const startUntilReady = async (): Promise<ReceiverChild> => {
    for (;;) {
      const receiver = start();
      try {
        const readyAt = await Promise.race([
          receiver.ready,
          sleep(startDeadlineMillis).then(() => {
            throw new Error(`not ready within ${startDeadlineMillis / 1000} s`);
          }),
        ]);
        lastStartupMillis = readyAt - receiver.spawnedAt;
        return receiver;
      } catch (error) {
        await killReceiver(receiver);
        restarts.pop();
        failedStarts.push({ reason: (error as Error).message, log: lastLines(logPath, 15) });
        progress(`reliability: a start failed (${(error as Error).message}); see ${logPath}`);
        if (failedStarts.length >= failedStartsAllowed)
          throw new Error(`${failedStarts.length} starts failed on the storm's data directory; see ${logPath}`, {
            cause: error,
          });
      }
    }
  };

  let receiver = await startUntilReady();
  clients.start();
  const baselineFrom = performance.now();
  await sleep(options.baselineSeconds * 1000);
  const baselineSpansPerSecond = clients.acknowledgedSpans / ((performance.now() - baselineFrom) / 1000);
  const spansBeforeStorm = clients.acknowledgedSpans;
  const stormFrom = performance.now();

  for (let kill = 1; kill <= options.kills; kill++) {
    await killReceiver(receiver);
    progress(`reliability: kill ${kill}/${options.kills}, ${clients.acknowledgedSpans} spans acknowledged so far`);
    if (kill === options.kills) break;
    if (options.startupKillEvery > 0 && kill % options.startupKillEvery === 0) {
      receiver = start();
      restarts.pop(); // killed before it could recover: not a recovery sample
      let ready = false;
      void receiver.ready.then(() => (ready = true)).catch(() => undefined);
      await sleep(random() * lastStartupMillis);
      await killReceiver(receiver);
      if (ready) killsAfterReady++;
      else killsDuringStartup++;
      progress(`reliability: and killed its restart ${ready ? 'just after' : 'during'} startup`);
    }
    receiver = await startUntilReady();
    await sleep(options.uptimeMillis.min + random() * (options.uptimeMillis.max - options.uptimeMillis.min));
  }
  killsAfterReady += options.kills;
  const stormSeconds = (performance.now() - stormFrom) / 1000;
  const stormSpansPerSecond = (clients.acknowledgedSpans - spansBeforeStorm) / stormSeconds;

  progress('reliability: clean restart; clients finish their requests, then the log drains');
  receiver = options.kills > 0 ? await startUntilReady() : receiver;
  await clients.finish();
  const drained = await waitUntilDrained(receiver.url, 300_000);
  const stoppedCleanly = await stopReceiver(receiver, 120_000);
  await new Promise<void>((resolve) => logFile.end(resolve));

  progress('reliability: counting spans in ClickHouse');
  const acknowledgedKeys = new Set<string>();
  for (const number of clients.acknowledged) for (const key of requests.keysOf(number)) acknowledgedKeys.add(key);
  const count = await countStorm(dataDir, acknowledgedKeys);
  return {
    dataDir,
    logPath,
    count,
    restarts,
    killsAfterReady,
    killsDuringStartup,
    failedStarts,
    baselineSpansPerSecond,
    stormSpansPerSecond,
    stormSeconds,
    drained,
    stoppedCleanly,
    clientCounts: clients.counts,
  };
}
