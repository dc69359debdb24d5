/**
 * What blocks a process's event loop, from a V8 CPU profile (`node --cpu-prof`; the benchmarks' receiver process
 * writes one when BENCH_RECEIVER_CPU_PROF names a directory, bench/receiver-process.ts): every stretch of
 * consecutive non-idle samples longer than the threshold is a stall (nothing else, acks included, ran meanwhile),
 * listed with the project functions (outside node_modules) that held most of its samples, inclusive, and the
 * functions with the most self time.
 *
 * `node bin/run-ts.mjs bench/event-loop-stalls.ts <file.cpuprofile> [threshold ms, default 50] [stalls, default 10]`
 */
import { readFileSync } from 'node:fs';

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  children?: number[];
}

interface Profile {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
  startTime: number;
}

export interface Stall {
  startMillis: number;
  millis: number;
  /** Project functions by inclusive milliseconds within the stall, largest first. */
  project: Array<[string, number]>;
  /** Functions by self milliseconds within the stall, largest first. */
  self: Array<[string, number]>;
}

const idle = new Set(['(idle)']);

function frameName(node: ProfileNode): string {
  const { functionName, url, lineNumber } = node.callFrame;
  const file = url.replace(/^file:\/\//, '').replace(/^.*\/(collector|src|bench|node_modules)\//, '$1/');
  return `${functionName || '(anonymous)'} ${file}:${lineNumber + 1}`;
}

function top(counts: Map<string, number>, limit: number): Array<[string, number]> {
  return [...counts.entries()].sort((a, b) => b[1] - a[1]).slice(0, limit);
}

export function findStalls(profile: Profile, thresholdMillis: number): Stall[] {
  const byId = new Map(profile.nodes.map((node) => [node.id, node]));
  const parentOf = new Map<number, number>();
  for (const node of profile.nodes) for (const child of node.children ?? []) parentOf.set(child, node.id);
  const projectFrames = (id: number): string[] => {
    const names: string[] = [];
    for (let current: number | undefined = id; current !== undefined; current = parentOf.get(current)) {
      const node = byId.get(current)!;
      const url = node.callFrame.url;
      if (url.includes('/work/') && !url.includes('node_modules')) names.push(frameName(node));
    }
    return [...new Set(names)];
  };

  const stalls: Stall[] = [];
  let time = profile.startTime;
  let run: { start: number; samples: Array<{ id: number; micros: number }> } | undefined;
  const close = () => {
    if (!run) return;
    const micros = run.samples.reduce((sum, sample) => sum + sample.micros, 0);
    if (micros / 1000 >= thresholdMillis) {
      const project = new Map<string, number>();
      const self = new Map<string, number>();
      for (const sample of run.samples) {
        for (const name of projectFrames(sample.id)) project.set(name, (project.get(name) ?? 0) + sample.micros / 1000);
        const name = frameName(byId.get(sample.id)!);
        self.set(name, (self.get(name) ?? 0) + sample.micros / 1000);
      }
      stalls.push({
        startMillis: (run.start - profile.startTime) / 1000,
        millis: micros / 1000,
        project: top(project, 8),
        self: top(self, 5),
      });
    }
    run = undefined;
  };
  profile.samples.forEach((id, index) => {
    const micros = profile.timeDeltas[index + 1] ?? 0;
    time += profile.timeDeltas[index] ?? 0;
    if (idle.has(byId.get(id)!.callFrame.functionName)) return close();
    run ??= { start: time, samples: [] };
    run.samples.push({ id, micros });
  });
  close();
  return stalls;
}

if (process.argv[1]?.endsWith('event-loop-stalls.ts')) {
  const [file, threshold = '50', count = '10'] = process.argv.slice(2);
  if (!file) throw new Error('usage: event-loop-stalls.ts <file.cpuprofile> [threshold ms] [stalls]');
  const stalls = findStalls(JSON.parse(readFileSync(file, 'utf8')) as Profile, Number(threshold));
  const total = stalls.reduce((sum, stall) => sum + stall.millis, 0);
  process.stdout.write(`${stalls.length} stalls of ${threshold} ms or more, ${Math.round(total)} ms in all\n`);
  for (const stall of [...stalls].sort((a, b) => b.millis - a.millis).slice(0, Number(count))) {
    process.stdout.write(`\nat ${(stall.startMillis / 1000).toFixed(2)} s: ${Math.round(stall.millis)} ms\n`);
    for (const [name, millis] of stall.project) process.stdout.write(`  ${Math.round(millis)} ms  ${name}\n`);
    process.stdout.write('  self:\n');
    for (const [name, millis] of stall.self) process.stdout.write(`    ${Math.round(millis)} ms  ${name}\n`);
  }
}
