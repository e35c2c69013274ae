// Realistic data for a large store: licenses across customers, models and products with real
// signed tokens, their transactions (issues, renewals, suspensions, revocations) and audit
// events, approval requests, and days of hourly-ish check records. Written through the store's
// own bulk paths (`importTransactions`, `importRequests`, `importChecks`), so the store holds
// what the issuer would have written. `pnpm seed-data` and the benches on a large store run it;
// it is also how the sizing figures in docs/deploying.md are made.
//
// Installation keys are derived from the seed and the license's number (`installationKeyOf`),
// so a bench can sign checks for any seeded license without the generator keeping keys.

import { randomBytes } from 'node:crypto';
import { availableParallelism } from 'node:os';
import { type LicenseModel, newId } from '@licensor/token';
import { openIssuer } from '../domain/open-issuer.js';
import { LicenseKeys } from '../keys/license-keys.js';
import type { CheckRecord, License } from '../records.js';
import { licensePages } from '../store/cursors.js';
import type { LicensorStore } from '../store/ports.js';
import { assertFastDerivation, chunkPlans, DAY_MS, randomOf, type Seeded } from './seed-chunk.js';
import { madeChunks, workerKey } from './seed-pool.js';

export { installationKeyOf } from './seed-chunk.js';

export interface SeedOptions {
  /** Licenses to create (each bound to its own installation). */
  licenses: number;
  /** Days of check records, ending at `now`. */
  days: number;
  /** Checks per license per day (default 24: hourly). */
  checksPerDay?: number;
  /** Customers the licenses are spread over (default one per 10 licenses). */
  customers?: number;
  /** Clock (ms); default Date.now(). */
  now?: number;
  /** Derives installation keys; default a random one (returned in the report). */
  seed?: string;
  /** Passphrase of the signing keys (when they are encrypted). */
  passphrase?: string;
  /**
   * Licenses per chunk, each made by one worker and written as one store write; default 10,000.
   * Each chunk has its own share of the customers. All checks are one bulk load (importChecks).
   */
  batchSize?: number;
  /**
   * Worker threads that make the licenses (key derivation, signing) while this thread writes
   * them; default the cores there are. 0: made in this thread. A key in an HSM signs here.
   */
  workers?: number;
  /** Called after each write with what is done so far. */
  onProgress?: (progress: SeedProgress) => void;
}

export interface SeedProgress {
  /** 'indexes': every check is written, the store builds their indexes (done = total). */
  phase: 'licenses' | 'checks' | 'indexes';
  done: number;
  total: number;
}

export interface SeedReport {
  seed: string;
  licenses: number;
  customers: number;
  /** Worker threads that made the licenses (0: the writing thread made them). */
  workers: number;
  transactions: number;
  requests: number;
  checks: number;
  /** Seconds spent on each phase. */
  licenseSeconds: number;
  checkSeconds: number;
  /**
   * CPU seconds this process spent on each phase, every thread (signing, SQLite's writes; not a
   * MongoDB server's): on a busy machine, what the phase costs, where the wall time says how busy it was.
   */
  licenseCpuSeconds: number;
  checkCpuSeconds: number;
  /**
   * Seconds the writing thread spent in the store's writes of the licenses (the rest of
   * licenseSeconds it waited for the workers' chunks).
   */
  licenseWriteSeconds: number;
  /** Licenses (with their transactions) and check records written per second. */
  licensesPerSecond: number;
  checksPerSecond: number;
  /** Active licenses among the first SAMPLE_SIZE, with the number that derives their key. */
  sample: { licenseId: string; index: number; model: LicenseModel; state: License['state'] }[];
}

/** Licenses the report lists as a sample (the first ones). */
export const SAMPLE_SIZE = 200;

export async function seedStore(store: LicensorStore, options: SeedOptions): Promise<SeedReport> {
  const now = options.now ?? Date.now();
  const seed = options.seed ?? randomBytes(8).toString('hex');
  const random = randomOf(seed);
  const issuer = await openIssuer({
    store,
    now: () => now,
    ...(options.passphrase === undefined ? {} : { passphrase: options.passphrase }),
  });
  await issuer.init('seed-data');
  const signing = await new LicenseKeys(store, options.passphrase).active();
  const [stored] = await store.readPrivateKeys('license');
  assertFastDerivation(seed);

  const customerCount = Math.max(1, options.customers ?? Math.ceil(options.licenses / 10));
  const plans = chunkPlans(seed, options.licenses, customerCount, options.batchSize ?? 10_000, now);
  const data = stored === undefined ? null : workerKey(store.dataDir, stored, options.passphrase);
  const workers = data === null ? 0 : Math.max(0, options.workers ?? availableParallelism());

  const seeded: Seeded[] = [];
  let transactions = 0;
  let requests = 0;
  const licenseStart = performance.now();
  const licenseCpu = process.cpuUsage();
  let writeSeconds = 0;
  for await (const chunk of madeChunks(plans, signing, workers, data)) {
    const writeStart = performance.now();
    await store.importTransactions(chunk.transactions);
    if (chunk.requests.length > 0) await store.importRequests(chunk.requests);
    writeSeconds += (performance.now() - writeStart) / 1000;
    transactions += chunk.transactions.length;
    requests += chunk.requests.length;
    for (const license of chunk.seeded) seeded.push(license);
    options.onProgress?.({ phase: 'licenses', done: seeded.length, total: options.licenses });
  }
  const licenseSeconds = (performance.now() - licenseStart) / 1000;
  const licenseCpuSeconds = cpuSecondsSince(licenseCpu);

  const checkStart = performance.now();
  const checkCpu = process.cpuUsage();
  const checks = await seedChecks(store, seeded, options, now, random);
  const checkSeconds = (performance.now() - checkStart) / 1000;
  const checkCpuSeconds = cpuSecondsSince(checkCpu);

  return {
    seed,
    licenses: options.licenses,
    customers: customerCount,
    workers: workers === 0 ? 0 : Math.min(workers, plans.length),
    transactions,
    requests,
    checks,
    licenseSeconds: round(licenseSeconds),
    checkSeconds: round(checkSeconds),
    licenseCpuSeconds: round(licenseCpuSeconds),
    licenseWriteSeconds: round(writeSeconds),
    checkCpuSeconds: round(checkCpuSeconds),
    licensesPerSecond: Math.round(options.licenses / Math.max(licenseSeconds, 1e-6)),
    checksPerSecond: Math.round(checks / Math.max(checkSeconds, 1e-6)),
    sample: seeded
      .slice(0, SAMPLE_SIZE)
      .filter((s) => s.state === 'active')
      .map(({ licenseId, index, model, state }) => ({ licenseId, index, model, state })),
  };
}

export interface SeedChecksOptions {
  /** Days of check records, ending at `now`. */
  days: number;
  /** Checks per license per day (default 24: hourly). */
  checksPerDay?: number;
  /** Clock (ms); default Date.now(). */
  now?: number;
  /** Shapes the check times and usage; default a random one. */
  seed?: string;
  onProgress?: (progress: SeedProgress) => void;
}

/**
 * Adds `days` days of checks to every license the store holds (a seeding stopped after its
 * licenses, a store filled by an import): the licenses are read by cursor, then the checks are
 * one bulk load, as `seedStore` writes them. Returns the licenses and the check records written.
 */
export async function seedChecksOfStore(
  store: LicensorStore,
  options: SeedChecksOptions,
): Promise<{ licenses: number; checks: number; checkSeconds: number; checkCpuSeconds: number }> {
  const now = options.now ?? Date.now();
  const seeded: Seeded[] = [];
  for await (const page of licensePages((filter) => store.listLicenses(filter), {}, 10_000)) {
    for (const license of page) {
      if (license.installationId === null) continue;
      seeded.push({
        licenseId: license.id,
        installationId: license.installationId,
        index: seeded.length,
        model: license.model,
        state: license.state,
        credentials: license.credentials,
        createdAt: license.createdAt,
        termEnd: license.term === null ? null : license.term.end * 1000,
      });
    }
    options.onProgress?.({ phase: 'licenses', done: seeded.length, total: seeded.length });
  }
  const started = performance.now();
  const cpu = process.cpuUsage();
  const random = randomOf(options.seed ?? randomBytes(8).toString('hex'));
  const checks = await seedChecks(
    store,
    seeded,
    { ...options, licenses: seeded.length },
    now,
    random,
  );
  return {
    licenses: seeded.length,
    checks,
    checkSeconds: round((performance.now() - started) / 1000),
    checkCpuSeconds: round(cpuSecondsSince(cpu)),
  };
}

const round = (value: number) => Math.round(value * 100) / 100;

function cpuSecondsSince(start: NodeJS.CpuUsage): number {
  const used = process.cpuUsage(start);
  return (used.user + used.system) / 1e6;
}

function outcomeOf(license: Seeded, at: number): CheckRecord['outcome'] {
  if (license.state === 'revoked') return 'REVOKED';
  if (license.state === 'suspended') return 'SUSPENDED';
  return license.termEnd !== null && at > license.termEnd ? 'EXPIRED' : 'VALID';
}

/**
 * `days` days of checks, oldest first, in time order across licenses (as the verify service
 * writes them): each license checks `checksPerDay` times a day at its own offset, with usage
 * drifting around a third of its credentials; suspended and revoked licenses answer so. One
 * bulk load: the records are made as the store reads them, never all held at once.
 */
async function seedChecks(
  store: LicensorStore,
  seeded: Seeded[],
  options: SeedOptions,
  now: number,
  random: () => number,
): Promise<number> {
  const perDay = Math.max(1, options.checksPerDay ?? 24);
  const interval = DAY_MS / perDay;
  const firstDay = Math.floor(now / DAY_MS) - options.days;
  const offsets = seeded.map(() => Math.floor(random() * interval));
  const usage = seeded.map((s) => Math.max(1, Math.floor(s.credentials * (0.2 + random() * 0.3))));
  const total = options.days * perDay * seeded.length;
  const progress = (done: number) => options.onProgress?.({ phase: 'checks', done, total });
  function* records(): Generator<CheckRecord> {
    let made = 0;
    for (let slot = 0; slot < options.days * perDay; slot += 1) {
      const slotStart = firstDay * DAY_MS + slot * interval;
      for (let i = 0; i < seeded.length; i += 1) {
        const license = seeded[i]!;
        const at = Math.floor(slotStart + offsets[i]!);
        if (at < license.createdAt || at > now) continue;
        if (random() < 0.1) usage[i] = Math.max(0, usage[i]! + (random() < 0.5 ? -1 : 1));
        yield {
          id: newId('chk'),
          at,
          licenseId: license.licenseId,
          installationId: license.installationId,
          sdkVersion: '1.4.2',
          credentialsInUse: Math.min(usage[i]!, license.credentials),
          outcome: outcomeOf(license, at),
        };
        made += 1;
        if (made % 100_000 === 0) progress(made);
      }
    }
    progress(made);
    options.onProgress?.({ phase: 'indexes', done: made, total: made });
  }
  return (await store.importChecks(records(), total)).written;
}
