// One chunk of seeded licenses: their installations (keys derived from the seed), signed issue
// and renewal transactions, suspensions and revocations, and pending requests. A chunk depends
// only on its plan (the seed, its number, its licenses and its customers) and the signing key,
// so chunks are made on worker threads in any order and give the same data as made in turn.
// Each chunk has customers of its own: a customer's first license writes it (version 1), and
// no two chunks ever write the same customer's version.

import { createHash, createPrivateKey, createPublicKey } from 'node:crypto';
import {
  type Ed25519KeyPair,
  type JwsSigner,
  jwkThumbprint,
  keyPairFromSeed,
  type LicenseModel,
  newId,
  type PublicJwk,
  toPublicJwk,
} from '@licensor/token';
import { stateTransaction } from '../domain/license-state.js';
import { buildTokenTransaction, newCustomer } from '../domain/token-transaction.js';
import type {
  ApprovalRequest,
  Customer,
  License,
  StateTransaction,
  Transaction,
} from '../records.js';

export const DAY_MS = 86_400_000;
const DAY_S = 86_400;

/** What one chunk makes: licenses [start, end), customers [customerStart, customerEnd). */
export interface ChunkPlan {
  seed: string;
  chunk: number;
  start: number;
  end: number;
  customerStart: number;
  customerEnd: number;
  now: number;
}

/** A seeded license, as the check generator and the report read it. */
export interface Seeded {
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

export interface Chunk {
  chunk: number;
  transactions: Transaction[];
  requests: ApprovalRequest[];
  seeded: Seeded[];
}

/** The installation key of seeded license number `index` (what its SDK holds). */
export function installationKeyOf(seed: string, index: number): Ed25519KeyPair {
  return keyPairFromSeed(new Uint8Array(seedOf(seed, index)));
}

/**
 * The public key of an Ed25519 seed, fast: node:crypto derives it from `d` on a JWK import (the
 * `x` a JWK must carry is not read for a private key), 8x faster than the PKCS#8 import the
 * token uses. `assertFastDerivation` checks it against the token's derivation before use.
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

/** Throws when this node:crypto derives another public key than the token does. */
export function assertFastDerivation(seed: string): void {
  const probe = seedOf(seed, 0);
  if (
    Buffer.compare(publicKeyOfSeed(probe), keyPairFromSeed(new Uint8Array(probe)).publicKey) !== 0
  ) {
    throw new Error('this node:crypto derives another public key from a JWK: seed-data cannot run');
  }
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
export function randomOf(seed: string): () => number {
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

/**
 * Splits `licenses` into chunks of about `size`, each with its own share of `customers` (at
 * least one): fewer chunks than asked when there are fewer customers than chunks.
 */
export function chunkPlans(
  seed: string,
  licenses: number,
  customers: number,
  size: number,
  now: number,
): ChunkPlan[] {
  const count = Math.max(1, Math.min(Math.ceil(licenses / Math.max(1, size)), customers));
  const plans: ChunkPlan[] = [];
  for (let chunk = 0; chunk < count; chunk += 1) {
    plans.push({
      seed,
      chunk,
      start: Math.floor((chunk * licenses) / count),
      end: Math.floor(((chunk + 1) * licenses) / count),
      customerStart: Math.floor((chunk * customers) / count),
      customerEnd: Math.floor(((chunk + 1) * customers) / count),
      now,
    });
  }
  return plans;
}

/** Makes the chunk's licenses, signing each token with `signing`. */
export async function makeChunk(plan: ChunkPlan, signing: JwsSigner): Promise<Chunk> {
  const { seed, now } = plan;
  const random = randomOf(`${seed}:chunk:${plan.chunk}`);
  const pick = <T>(items: readonly T[]): T => items[Math.floor(random() * items.length)]!;
  const customers: Customer[] = [];
  for (let c = plan.customerStart; c < plan.customerEnd; c += 1) {
    const name = `${pick(WORDS)} ${pick(WORDS)} ${pick(SUFFIXES)} ${c + 1}`;
    customers.push(newCustomer(name, now - 3 * 365 * DAY_MS));
  }
  const transactions: Transaction[] = [];
  const requests: ApprovalRequest[] = [];
  const seeded: Seeded[] = [];
  for (let index = plan.start; index < plan.end; index += 1) {
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
    transactions.push(issue);
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
          installation: { ...installation, product: null, record: null },
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
      transactions.push(renewal);
      license = renewal.licenseAfter;
    }
    const roll = random();
    if (roll < 0.03) {
      const change = stateChange(license, roll < 0.01 ? 'revoke' : 'suspend', pick(OPERATORS), now);
      transactions.push(change);
      license = change.licenseAfter;
    } else if (roll < 0.04) {
      requests.push(requestFor(license, now - Math.floor(random() * 14 * DAY_MS)));
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
  return { chunk: plan.chunk, transactions, requests, seeded };
}

function stateChange(
  license: License,
  kind: 'revoke' | 'suspend',
  operator: string,
  now: number,
): StateTransaction {
  const at = Math.min(license.updatedAt + DAY_MS, now);
  return stateTransaction(
    license,
    kind,
    at,
    operator,
    kind === 'revoke' ? 'contract ended' : 'invoice unpaid',
  );
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
