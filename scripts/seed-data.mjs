#!/usr/bin/env node
// pnpm seed-data --licenses N --days D [--checks-per-day K] [--customers C] [--seed S]
//                [--data DIR | --mongo URI] [--roll-up-days W]
// pnpm seed-data --checks-only --days D [--checks-per-day K] [--data DIR | --mongo URI]
// Fills a store with realistic data through the store's own bulk paths (see
// packages/issuer/src/seed/seed-data.ts), then prints what it wrote, how fast, and the size of
// the store on disk. With --roll-up-days it then rolls up check records older than W days, as
// the portal's retention job would, and prints the size again.
import { existsSync, statSync, writeFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { seedChecksOfStore, seedStore } from '@licensor/issuer/seed';
import { openStore } from '@licensor/issuer/store';

const USAGE = `usage: pnpm seed-data --licenses N --days D [--checks-per-day 24] [--customers C]
                      [--seed S] [--data DIR | --mongo URI] [--roll-up-days W]
       pnpm seed-data --checks-only --days D [--checks-per-day 24] [--data DIR | --mongo URI]

  --licenses        licenses to create, each on its own installation
  --days            days of check records, ending now
  --checks-per-day  checks per license per day (default 24, hourly)
  --customers       customers the licenses are spread over (default licenses / 10)
  --seed            derives the installation keys (default random, printed)
  --data            SQLite store folder (default ./.licensor-seed)
  --mongo           MongoDB connection string (the database is the one in its path)
  --roll-up-days    afterwards, roll up check records older than this many days
  --checks-only     add D days of checks to every license the store holds (a seeding stopped
                    after its licenses, an imported store); writes no licenses
`;

function fail(message) {
  process.stderr.write(`error: ${message}\n${USAGE}`);
  process.exit(2);
}

let values;
try {
  ({ values } = parseArgs({
    options: {
      licenses: { type: 'string' },
      days: { type: 'string' },
      'checks-per-day': { type: 'string' },
      customers: { type: 'string' },
      seed: { type: 'string' },
      data: { type: 'string' },
      mongo: { type: 'string' },
      'roll-up-days': { type: 'string' },
      'checks-only': { type: 'boolean' },
      help: { type: 'boolean' },
    },
    strict: true,
  }));
} catch (error) {
  fail(error.message);
}
if (values.help) {
  process.stdout.write(USAGE);
  process.exit(0);
}

function whole(name, min, fallback) {
  const text = values[name];
  if (text === undefined) {
    if (fallback === undefined) fail(`--${name} is required`);
    return fallback;
  }
  const value = Number(text);
  if (!Number.isInteger(value) || value < min) fail(`--${name} must be a whole number >= ${min}`);
  return value;
}

const checksOnly = values['checks-only'] === true;
if (checksOnly && (values.licenses !== undefined || values.customers !== undefined))
  fail('--checks-only adds checks to the licenses there: give no --licenses or --customers');
const licenses = checksOnly ? 0 : whole('licenses', 1);
const days = whole('days', 0);
const checksPerDay = whole('checks-per-day', 1, 24);
const customers = values.customers === undefined ? undefined : whole('customers', 1);
const rollUpDays = values['roll-up-days'] === undefined ? undefined : whole('roll-up-days', 0);
if (values.data !== undefined && values.mongo !== undefined)
  fail('give --data or --mongo, not both');
const dataDir = resolve(values.data ?? './.licensor-seed');

function sqliteBytes() {
  let total = 0;
  for (const suffix of ['', '-wal', '-shm']) {
    const file = join(dataDir, `licensor.db${suffix}`);
    if (existsSync(file)) total += statSync(file).size;
  }
  return total;
}

// A large SQLite store's indexes outgrow the default page cache: the seeding connection holds 1 GiB.
const store = await openStore(
  values.mongo ? { mongoUri: values.mongo, dataDir } : { dataDir, sqliteCacheMiB: 1024 },
);
const started = Date.now();
let last = 0;
const onProgress = ({ phase, done, total }) => {
  if (phase === 'indexes') {
    process.stderr.write(`checks: ${done.toLocaleString('en')} written; indexing them...\n`);
    return;
  }
  if (Date.now() - last < 2000 && done !== total) return;
  last = Date.now();
  process.stderr.write(`${phase}: ${done.toLocaleString('en')} / ${total.toLocaleString('en')}\n`);
};
if (checksOnly) {
  try {
    const report = await seedChecksOfStore(store, {
      days,
      checksPerDay,
      ...(values.seed === undefined ? {} : { seed: values.seed }),
      onProgress,
    });
    const seconds = Math.round((Date.now() - started) / 100) / 10;
    const result = { store: store.kind, ...report, seconds, loadAverage: loadavg()[0] };
    process.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
  } finally {
    await store.close();
  }
  process.exit(0);
}
try {
  const report = await seedStore(store, {
    licenses,
    days,
    checksPerDay,
    ...(customers === undefined ? {} : { customers }),
    ...(values.seed === undefined ? {} : { seed: values.seed }),
    onProgress,
  });
  const result = {
    store: store.kind,
    where: store.kind === 'sqlite' ? dataDir : 'MongoDB',
    ...report,
    sample: report.sample.slice(0, 3),
    seconds: Math.round((Date.now() - started) / 100) / 10,
    bytesOnDisk: store.kind === 'sqlite' ? sqliteBytes() : null,
    loadAverage: Number(loadavg()[0].toFixed(2)),
  };
  if (rollUpDays !== undefined) {
    const rollStart = Date.now();
    const rolled = await store.rollUpChecks({ now: Date.now(), keepMs: rollUpDays * 86_400_000 });
    const seconds = (Date.now() - rollStart) / 1000;
    result.rollUp = {
      ...rolled,
      seconds: Math.round(seconds * 10) / 10,
      checksPerSecond: Math.round(rolled.rolledUp / Math.max(seconds, 1e-3)),
      bytesOnDisk: store.kind === 'sqlite' ? sqliteBytes() : null,
    };
  }
  if (store.kind === 'sqlite') {
    // What `BENCH_LARGE_DIR=DIR pnpm bench` reads to sign checks for the seeded licenses.
    writeFileSync(join(dataDir, 'seed-report.json'), `${JSON.stringify(report, null, 2)}\n`);
  }
  process.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
} finally {
  await store.close();
}
