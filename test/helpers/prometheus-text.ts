/**
 * A strict reader of the Prometheus text exposition format (version 0.0.4), enough to check that `GET /metrics`
 * is what a Prometheus server accepts: every line is a HELP, a TYPE or a sample, a family's TYPE comes before its
 * samples, and every value is a number. Throws naming the first line that is not.
 */
export interface PrometheusSample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

export interface PrometheusFamily {
  type: string;
  help: string;
  samples: PrometheusSample[];
}

const metricName = '[a-zA-Z_:][a-zA-Z0-9_:]*';
const helpLine = new RegExp(`^# HELP (${metricName}) (.*)$`);
const typeLine = new RegExp(`^# TYPE (${metricName}) (counter|gauge|histogram|summary|untyped)$`);
const sampleLine = new RegExp(`^(${metricName})(\\{(.*)\\})? (\\S+)( -?\\d+)?$`);
const labelPair = /([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)",?/gy;
const familySuffixes = ['_bucket', '_sum', '_count'];

function parseValue(text: string): number {
  if (text === '+Inf') return Infinity;
  if (text === '-Inf') return -Infinity;
  if (text === 'NaN') return NaN;
  const value = Number(text);
  if (text === '' || Number.isNaN(value)) throw new Error(`not a number: ${text}`);
  return value;
}

function parseLabels(text: string): Record<string, string> {
  const labels: Record<string, string> = {};
  labelPair.lastIndex = 0;
  while (labelPair.lastIndex < text.length) {
    const match = labelPair.exec(text);
    if (!match) throw new Error(`bad labels: {${text}}`);
    labels[match[1] as string] = match[2] as string;
  }
  return labels;
}

export function parsePrometheusText(text: string): Map<string, PrometheusFamily> {
  const families = new Map<string, PrometheusFamily>();
  const lines = text.split('\n');
  if (lines.at(-1) === '') lines.pop();
  for (const [index, line] of lines.entries()) {
    const where = `line ${index + 1} ${JSON.stringify(line)}`;
    if (line === '') continue;
    const help = helpLine.exec(line);
    const type = typeLine.exec(line);
    if (help) {
      const family = families.get(help[1] as string) ?? { type: '', help: '', samples: [] };
      family.help = help[2] as string;
      families.set(help[1] as string, family);
      continue;
    }
    if (type) {
      const family = families.get(type[1] as string) ?? { type: '', help: '', samples: [] };
      if (family.samples.length > 0) throw new Error(`${where}: TYPE after samples`);
      family.type = type[2] as string;
      families.set(type[1] as string, family);
      continue;
    }
    if (line.startsWith('#')) throw new Error(`${where}: unknown comment`);
    const sample = sampleLine.exec(line);
    if (!sample) throw new Error(`${where}: not a sample`);
    const name = sample[1] as string;
    const suffix = familySuffixes.find((candidate) => name.endsWith(candidate) && !families.has(name));
    const familyName = suffix ? name.slice(0, -suffix.length) : name;
    const family = families.get(familyName);
    if (!family?.type) throw new Error(`${where}: sample of ${familyName} before its TYPE`);
    try {
      family.samples.push({ name, labels: parseLabels(sample[3] ?? ''), value: parseValue(sample[4] as string) });
    } catch (error) {
      throw new Error(`${where}: ${(error as Error).message}`, { cause: error });
    }
  }
  return families;
}

/** A sample of a receiver's /metrics: the first series whose name and labels start with `series`, 0 if none. */
export async function scrapeMetric(baseUrl: string, series: string): Promise<number> {
  const text = await (await fetch(`${baseUrl}/metrics`)).text();
  const line = text.split('\n').find((candidate) => candidate.startsWith(series));
  return line ? Number(line.slice(line.lastIndexOf(' ') + 1)) : 0;
}

/** Polls `condition` every 20 ms until it holds; throws after `timeoutMillis`. */
export async function waitFor(condition: () => Promise<boolean>, timeoutMillis = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMillis;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}
