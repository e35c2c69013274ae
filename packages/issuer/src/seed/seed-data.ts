// Realistic data for a large store: licenses across customers, models and products with real
// signed tokens, their transactions (issues, renewals, suspensions, revocations) and audit
// events, approval requests, and days of hourly-ish check records. Written through the store's
// own bulk paths (`importTransactions`, `importRequests`, `importChecks`), so the store holds
// what the issuer would have written. `pnpm seed-data` and the benches on a large store run it;
// it is also how the sizing figures in docs/deploying.md are made.
//
// Installation keys are derived from the seed and the license's number (`installationKeyOf`),
// so a bench can sign checks for any seeded license without the generator keeping keys.

import { createHash, createPrivateKey, createPublicKey, randomBytes } from 'node:crypto';
import {
  type Ed25519KeyPair,
  jwkThumbprint,
  keyPairFromSeed,
  type LicenseModel,
  newId,
  type PublicJwk,
  toPublicJwk,
} from '@licensor/token';
import { openIssuer } from '../domain/open-issuer.js';
import { buildTokenTransaction, newCustomer } from '../domain/token-transaction.js';
import { LicenseKeys } from '../keys/license-keys.js';
import type {
  ApprovalRequest,
  CheckRecord,
  Customer,
  License,
  StateTransaction,
  Transaction,
} from '../records.js';
import { licensePages } from '../store/cursors.js';
import type { LicensorStore } from '../store/ports.js';

const DAY_MS = 86_400_000;
const DAY_S = 86_400;

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
  /** Licenses per store write; default 10,000. All checks are one bulk load (importChecks). */
  batchSize?: number;
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
  transactions: number;
  requests: number;
  checks: number;
  /** Seconds spent on each phase. */
  licenseSeconds: number;
  checkSeconds: number;
  /**
   * CPU seconds this process spent on each phase (signing, SQLite's writes; not a MongoDB
   * server's): on a busy machine, what the phase costs, where the wall time says how busy it was.
   */
  licenseCpuSeconds: number;
  checkCpuSeconds: number;
  /** Licenses (with their transactions) and check records written per second. */
  licensesPerSecond: number;
  checksPerSecond: number;
  /** Active licenses among the first SAMPLE_SIZE, with the number that derives their key. */
  sample: { licenseId: string; index: number; model: LicenseModel; state: License['state'] }[];
}

/** Licenses the report lists as a sample (the first ones). */
export const SAMPLE_SIZE = 200;

/** The installation key of seeded license number `index` (what its SDK holds). */
export function installationKeyOf(seed: string, index: number): Ed25519KeyPair {
  return keyPairFromSeed(new Uint8Array(seedOf(seed, index)));
}

/**
 * The public key of an Ed25519 seed, fast: node:crypto derives it from `d` on a JWK import (the
 * `x` a JWK must carry is not read for a private key), 8x faster than the PKCS#8 import the
 * token uses. `seedStore` checks it once against the token's derivation before using it.
 * (Not generateKeyPairSync + JWK export: on Node 20 that pair can deadlock in a GC.)
 */
function publicKeyOfSeed(seed: Buffer): Uint8Array {
  const key = createPrivateKey({
    key: { kty: 'OKP', crv: 'Ed25519', d: seed.toString('base64url'), x: 'A'.repeat(43) },
    format: 'jwk',
  });
  const jwk = createPublicKey(key).export({ format: 'jwk' });
  return new Uint8Array(Buffer.from(jwk.x as string, 'base64url'));
}

function seedOf(seed: string, index: number): Buffer {
  return createHash('sha256').update(`licensor-seed:${seed}:${index}`).digest();
}

/** The public key and id of installation `index` (derived from the seed, as installationKeyOf). */
function installationOf(seed: string, index: number): { id: string; publicKey: PublicJwk } {
  const publicKey = toPublicJwk(publicKeyOfSeed(seedOf(seed, index)));
  return { id: jwkThumbprint(publicKey), publicKey };
}

/** A small deterministic generator (mulberry32), so a seed gives the same data shape. */
function randomOf(seed: string): () => number {
  let state = createHash('sha256').update(seed).digest().readUInt32LE(0);
  return () => {
    state = (state + 0x6d2b79f5) | 0;
    let t = Math.imul(state ^ (state >>> 15), 1 | state);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const CREDENTIALS = [25, 50, 100, 250, 500, 1000, 2500, 10_000];
const VERSIONS = ['5.0.3', '5.1.0', '5.2.0', '5.2.1', '6.0.0'];
const OPERATORS = ['alice', 'bob', 'carol', 'cli:deploy'];
const WORDS = ['Acme', 'Globex', 'Initech', 'Umbrella', 'Hooli', 'Stark', 'Wayne', 'Tyrell'];
const SUFFIXES = ['Corp', 'GmbH', 'Ltd', 'AG', 'Inc', 'SA', 'BV', 'Oy'];

interface Seeded {
  licenseId: string;
  installationId: string;
  index: number;
  model: LicenseModel;
  state: License['state'];
  credentials: number;
  createdAt: number;
  /** End of the subscription term (ms), null for a perpetual license. */
  termEnd: number | null;
}

export async function seedStore(store: LicensorStore, options: SeedOptions): Promise<SeedReport> {
  const now = options.now ?? Date.now();
  const seed = options.seed ?? randomBytes(8).toString('hex');
  const random = randomOf(seed);
  const pick = <T>(items: readonly T[]): T => items[Math.floor(random() * items.length)]!;
  const batchSize = Math.max(1, options.batchSize ?? 10_000);
  const issuer = await openIssuer({
    store,
    now: () => now,
    ...(options.passphrase === undefined ? {} : { passphrase: options.passphrase }),
  });
  await issuer.init('seed-data');
  const signing = await new LicenseKeys(store, options.passphrase).active();
  const probe = seedOf(seed, 0);
  if (
    Buffer.compare(publicKeyOfSeed(probe), keyPairFromSeed(new Uint8Array(probe)).publicKey) !== 0
  ) {
    throw new Error('this node:crypto derives another public key from a JWK: seed-data cannot run');
  }

  const customerCount = Math.max(1, options.customers ?? Math.ceil(options.licenses / 10));
  const customers: Customer[] = [];
  for (let c = 0; c < customerCount; c += 1) {
    const name = `${pick(WORDS)} ${pick(WORDS)} ${pick(SUFFIXES)} ${c + 1}`;
    customers.push(newCustomer(name, now - 3 * 365 * DAY_MS));
  }

  const seeded: Seeded[] = [];
  let transactions = 0;
  let requests = 0;
  const licenseStart = performance.now();
  const licenseCpu = process.cpuUsage();
  for (let start = 0; start < options.licenses; start += batchSize) {
    const batch: Transaction[] = [];
    const pending: ApprovalRequest[] = [];
    const end = Math.min(options.licenses, start + batchSize);
    for (let index = start; index < end; index += 1) {
      const customerIndex = Math.floor(random() * customers.length);
      const customer = customers[customerIndex]!;
      // Issued some time in the last two years.
      const at = now - Math.floor(random() * 730 * DAY_MS);
      const installation = installationOf(seed, index);
      const model: LicenseModel = random() < 0.6 ? 'subscription' : 'perpetual';
      const credentials = pick(CREDENTIALS);
      const term =
        model === 'subscription'
          ? {
              start: Math.floor(at / 1000),
              end: Math.floor(at / 1000) + 365 * DAY_S,
              grace: 30 * DAY_S,
            }
          : null;
      const issue = await buildTokenTransaction(
        {
          kind: 'issue',
          operator: pick(OPERATORS),
          license: null,
          customer,
          customerName: customer.name,
          installation: {
            ...installation,
            product: { name: 'CMS', version: pick(VERSIONS) },
            record: null,
          },
          model,
          credentials,
          term,
          challengeHash: createHash('sha256').update(newId('chl')).digest('base64url'),
          challengeId: newId('chl'),
          requestId: null,
          terms: {
            customerName: customer.name,
            customerId: customer.id,
            model,
            credentials,
            ...(term === null ? {} : { termDays: 365, graceDays: 30 }),
          },
        },
        signing,
        at,
      );
      if (issue.customerAfter !== null) customers[customerIndex] = issue.customerAfter;
      batch.push(issue);
      let license = issue.licenseAfter;
      // A subscription issued over a year ago was renewed (most of them).
      if (term !== null && now - at > 365 * DAY_MS && random() < 0.8) {
        const renewedAt = at + 350 * DAY_MS;
        const renewal = await buildTokenTransaction(
          {
            kind: 'renew',
            operator: pick(OPERATORS),
            license,
            customer: customers[customerIndex]!,
            customerName: license.customerName,
            installation: {
              ...installation,
              product: null,
              record: null,
            },
            model,
            credentials,
            term: { start: term.start, end: term.end + 365 * DAY_S, grace: term.grace },
            challengeHash: null,
            challengeId: null,
            requestId: null,
            terms: null,
          },
          signing,
          renewedAt,
        );
        batch.push(renewal);
        license = renewal.licenseAfter;
      }
      const roll = random();
      if (roll < 0.03) {
        const change = stateChange(
          license,
          roll < 0.01 ? 'revoke' : 'suspend',
          pick(OPERATORS),
          now,
        );
        batch.push(change);
        license = change.licenseAfter;
      } else if (roll < 0.04) {
        pending.push(requestFor(license, now - Math.floor(random() * 14 * DAY_MS)));
      }
      seeded.push({
        licenseId: license.id,
        installationId: installation.id,
        index,
        model,
        state: license.state,
        credentials,
        createdAt: at,
        termEnd: license.term === null ? null : license.term.end * 1000,
      });
    }
    await store.importTransactions(batch);
    if (pending.length > 0) await store.importRequests(pending);
    transactions += batch.length;
    requests += pending.length;
    options.onProgress?.({ phase: 'licenses', done: end, total: options.licenses });
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
    transactions,
    requests,
    checks,
    licenseSeconds: round(licenseSeconds),
    checkSeconds: round(checkSeconds),
    licenseCpuSeconds: round(licenseCpuSeconds),
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

function stateChange(
  license: License,
  kind: 'revoke' | 'suspend',
  operator: string,
  now: number,
): StateTransaction {
  const id = newId('txn');
  const at = Math.min(license.updatedAt + DAY_MS, now);
  const reason = kind === 'revoke' ? 'contract ended' : 'invoice unpaid';
  const licenseAfter: License = {
    ...license,
    state: kind === 'revoke' ? 'revoked' : 'suspended',
    stateReason: reason,
    latestTransactionId: id,
    seq: license.seq + 1,
    updatedAt: at,
  };
  return {
    id,
    kind,
    at,
    operator,
    licenseId: license.id,
    customerId: license.customerId,
    installationId: license.installationId,
    seq: licenseAfter.seq,
    revision: null,
    challengeHash: null,
    challengeId: null,
    requestId: null,
    terms: null,
    token: null,
    kid: null,
    reason,
    licenseAfter,
    customerAfter: null,
    installationAfter: null,
    applied: false,
  };
}

/** A pending rehost request: the license's installation asked from a new machine. */
function requestFor(license: License, at: number): ApprovalRequest {
  const challengeId = newId('chl');
  return {
    id: newId('req'),
    kind: 'rehost',
    status: 'pending',
    licenseId: license.id,
    installationId: license.installationId!,
    challenge: `seeded.${challengeId}.challenge`,
    challengeHash: createHash('sha256').update(challengeId).digest('base64url'),
    asked: { kind: 'license' },
    createdAt: at,
    createdBy: 'seed-data',
    decidedAt: null,
    decidedBy: null,
    reason: null,
    transactionId: null,
  };
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
