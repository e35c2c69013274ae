// Reads /metrics output as a Prometheus scrape does. The text goes through a text-format parser
// (parse-prometheus-text-format: it refuses bad names, labels and lines, and gives the families
// with their HELP and TYPE); then every sample line is read again for what that parser leaves
// alone: its value must be a float of the exposition format (one `... undefined` line makes a
// scrape of the whole target fail), and each line must belong to a family declared before it.
// The second pass also keeps each series of a labelled histogram, which that parser merges.
import parse from 'parse-prometheus-text-format';

export interface Sample {
  /** The series name: the family's, or for a histogram its `_bucket`, `_sum` or `_count`. */
  name: string;
  labels: Record<string, string>;
  value: number;
}

export interface Family {
  name: string;
  help: string;
  type: string;
  samples: Sample[];
}

// The exposition format's float: a Go ParseFloat number, or NaN / +Inf / -Inf.
const FLOAT = /^(?:[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?|NaN|[+-]Inf)$/;
const SAMPLE = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})?\s+(\S+)(?:\s+(-?\d+))?$/;
const LABEL = /([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"\s*,?\s*/gy;

function labelsOf(text: string | undefined, line: string): Record<string, string> {
  const labels: Record<string, string> = {};
  if (text === undefined) return labels;
  LABEL.lastIndex = 0;
  let read = 0;
  for (let match = LABEL.exec(text); match !== null; match = LABEL.exec(text)) {
    labels[match[1]!] = match[2]!.replace(/\\(.)/g, (_, c: string) => (c === 'n' ? '\n' : c));
    read = LABEL.lastIndex;
  }
  if (read !== text.length) throw new Error(`bad labels in line: ${line}`);
  return labels;
}

const SUFFIXES: Record<string, readonly string[]> = {
  histogram: ['_bucket', '_sum', '_count'],
  summary: ['_sum', '_count'],
};

/** Parses the text exposition; throws on anything a Prometheus scrape would refuse. */
export function parseExposition(text: string): Map<string, Family> {
  const families = new Map<string, Family>();
  for (const family of parse(text)) {
    if (families.has(family.name)) throw new Error(`family ${family.name} appears twice`);
    families.set(family.name, {
      name: family.name,
      help: family.help,
      type: family.type.toLowerCase(),
      samples: [],
    });
  }
  let current: Family | undefined;
  for (const line of text.split('\n')) {
    if (line.startsWith('# TYPE ')) current = families.get(line.split(' ')[2]!);
    if (line === '' || line.startsWith('#')) continue;
    const match = SAMPLE.exec(line);
    if (match === null) throw new Error(`not a sample line: ${line}`);
    const name = match[1]!;
    const labelText = match[2];
    const value = match[3]!;
    const family = current?.name;
    const names = [family, ...(SUFFIXES[current?.type ?? ''] ?? []).map((s) => `${family}${s}`)];
    if (current === undefined || !names.includes(name)) {
      throw new Error(`sample ${name} is not in the family declared before it`);
    }
    if (!FLOAT.test(value)) throw new Error(`${name}: "${value}" is not a Prometheus float`);
    current.samples.push({
      name,
      labels: labelsOf(labelText, line),
      value: value === '+Inf' ? Number.POSITIVE_INFINITY : Number(value),
    });
  }
  return families;
}

/** The samples of series `name` (a histogram's `_count` too) whose labels include `labels`. */
export function samplesOf(
  families: Map<string, Family>,
  name: string,
  labels: Record<string, string> = {},
): Sample[] {
  const family = families.get(name) ?? families.get(name.replace(/_(bucket|sum|count)$/, ''));
  if (family === undefined) throw new Error(`no family for ${name}`);
  return family.samples.filter(
    (s) =>
      s.name === name && Object.entries(labels).every(([key, value]) => s.labels[key] === value),
  );
}

/** The value of the one sample of series `name` whose labels include `labels`. */
export function sampleOf(
  families: Map<string, Family>,
  name: string,
  labels: Record<string, string> = {},
): number {
  const found = samplesOf(families, name, labels);
  if (found.length !== 1) {
    throw new Error(`${found.length} samples of ${name} match ${JSON.stringify(labels)}`);
  }
  return found[0]!.value;
}
