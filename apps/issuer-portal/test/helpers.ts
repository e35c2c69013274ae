// Test fixtures: a real Issuer on a SQLite store in a temporary folder, the portal app over
// it, a frozen clock the tests move by hand, and logged-in supertest agents.
import { cpSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type Issuer, openIssuer } from '@licensor/issuer';
import { openStore } from '@licensor/issuer/store';
import { createLicensor, type Licensor, MemoryStore, SYSTEM_ADMINISTRATOR } from '@licensor/sdk';
import {
  type ChallengeClaims,
  type Ed25519KeyPair,
  generateKeyPair,
  signChallenge,
} from '@licensor/token';
import { pino } from 'pino';
import request from 'supertest';
import { createPortalApp, type PortalApp, type PortalDeps } from '../src/server/app.js';

export const PASSWORDS = {
  alice: 'alice-admin-password',
  ivan: 'ivan-issuer-password',
  vera: 'vera-viewer-password',
} as const;
export type TestUser = keyof typeof PASSWORDS;

export interface Fixture extends PortalApp {
  issuer: Issuer;
  clock: { now: number };
  advance(ms: number): void;
  close(): Promise<void>;
}

export const START = Date.UTC(2026, 10, 28, 9, 0, 0);

/**
 * Keys and users are made once per test file in a template folder (scrypt hashing is slow on
 * purpose); each fixture starts from a copy of it.
 */
let template: Promise<string> | null = null;

async function templateDir(): Promise<string> {
  template ??= (async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'licensor-portal-template-'));
    const store = await openStore({ dataDir });
    const issuer = await openIssuer({ store, now: () => START });
    await issuer.init('test-setup');
    await issuer.users.add('alice', 'admin', PASSWORDS.alice, 'test-setup');
    await issuer.users.add('ivan', 'issuer', PASSWORDS.ivan, 'test-setup');
    await issuer.users.add('vera', 'viewer', PASSWORDS.vera, 'test-setup');
    await store.close();
    process.once('exit', () => rmSync(dataDir, { recursive: true, force: true }));
    return dataDir;
  })();
  return template;
}

export async function makePortal(overrides: Partial<PortalDeps> = {}): Promise<Fixture> {
  const dataDir = mkdtempSync(join(tmpdir(), 'licensor-portal-'));
  cpSync(await templateDir(), dataDir, { recursive: true });
  const store = await openStore({ dataDir });
  const clock = { now: START };
  const now = () => clock.now;
  const issuer = await openIssuer({ store, now });
  const portal = createPortalApp({
    issuer,
    now,
    logger: pino({ level: 'silent' }),
    webRoot: null,
    ...overrides,
  });
  return {
    ...portal,
    issuer,
    clock,
    advance: (ms) => {
      clock.now += ms;
    },
    close: async () => {
      await store.close();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

export interface LoggedIn {
  agent: ReturnType<typeof request.agent>;
  csrf: string;
  cookie: string;
}

export async function loginAs(fixture: Fixture, user: TestUser): Promise<LoggedIn> {
  const agent = request.agent(fixture.app);
  const response = await agent
    .post('/api/v1/auth/login')
    .send({ name: user, password: PASSWORDS[user] })
    .expect(200);
  const cookie = sessionCookie(response.headers['set-cookie']);
  return { agent, csrf: response.body.csrfToken as string, cookie };
}

/** The `name=value` of the session cookie a response set. */
export function sessionCookie(setCookie: unknown): string {
  const all = Array.isArray(setCookie) ? (setCookie as string[]) : [String(setCookie)];
  const found = all.find((c) => c.includes('licensor_portal_sid='));
  if (!found) throw new Error(`no session cookie in ${JSON.stringify(setCookie)}`);
  return found.split(';')[0] as string;
}

export interface TestInstallation {
  key: Ed25519KeyPair;
  id: string;
}

export function newInstallation(): TestInstallation {
  const key = generateKeyPair();
  return { key, id: key.kid };
}

/** The CMS operator the SDK-driven tests act as (System Administrator: may apply key sets). */
export const CMS_OPERATOR = { id: 'op-1', name: 'Olivia Operator', roles: [SYSTEM_ADMINISTRATOR] };

/**
 * A CMS (the real SDK, in memory) shipped with the vendor's JWKS of now: key set version 0.
 * It runs on the fixture's clock and reports `credentialsInUse`.
 */
export async function makeCms(
  fixture: Pick<Fixture, 'clock' | 'issuer'>,
  credentialsInUse: number,
): Promise<Licensor> {
  return createLicensor({
    store: new MemoryStore(),
    trust: await fixture.issuer.keys.exportJwks(),
    product: { name: 'vSEC:CMS', version: '6.1.0' },
    now: () => fixture.clock.now,
    credentialsInUse: () => credentialsInUse,
  });
}

let challengeCounter = 0;

/** A challenge signed by the installation, made at the fixture's clock. */
export function makeChallenge(
  fixture: Pick<Fixture, 'clock'>,
  installation: TestInstallation,
  overrides: Partial<Pick<ChallengeClaims, 'v' | 'license' | 'request' | 'usage' | 'keyset'>> = {},
): string {
  challengeCounter += 1;
  const iat = Math.floor(fixture.clock.now / 1000);
  const claims: ChallengeClaims = {
    v: overrides.v ?? 1,
    jti: `chal_test_${challengeCounter}_${iat}`,
    iat,
    exp: iat + 30 * 86_400,
    sub: installation.id,
    product: { name: 'vSEC:CMS', version: '6.1.0' },
    license: overrides.license ?? null,
    usage: overrides.usage ?? { credentialsInUse: 12 },
    request: overrides.request ?? { kind: 'license', credentials: 100, customerName: 'Acme Bank' },
    ...(overrides.keyset === undefined ? {} : { keyset: overrides.keyset }),
  };
  return signChallenge(claims, installation.key);
}

export const PERPETUAL_TERMS = {
  customerName: 'Acme Bank',
  model: 'perpetual',
  credentials: 100,
} as const;

export const SUBSCRIPTION_TERMS = {
  customerName: 'Globex',
  model: 'subscription',
  credentials: 250,
  termDays: 365,
  graceDays: 14,
} as const;

/**
 * The plan the catalogue tests issue from: subscription, one feature and one add-on, a `sites`
 * limit, and credentials within `credentials` bounds.
 */
export function standardPlan(credentials = { value: 250, min: 100, max: 1000 }) {
  return {
    name: 'Standard',
    products: ['vSEC:CMS'],
    model: 'subscription' as const,
    credentials,
    termDays: 365,
    graceDays: 14,
    features: ['hsm-support'],
    addOns: ['mobile-credentials'],
    limits: [{ name: 'sites', value: 3, min: 1, max: 10 }],
  };
}

/** The product vSEC:CMS (version 6) and the Standard plan for it, made by alice. */
export async function addStandardPlan(fixture: Pick<Fixture, 'issuer'>): Promise<void> {
  await fixture.issuer.products.create({ name: 'vSEC:CMS', versions: ['6'] }, 'alice');
  await fixture.issuer.plans.create(standardPlan(), 'alice');
}

/** A state-changing request of the session, its CSRF token set: `.expect(status)` it. */
export function send(
  session: LoggedIn,
  method: 'post' | 'put' | 'patch' | 'delete',
  path: string,
  body: object = {},
) {
  return session.agent[method](path).set('X-CSRF-Token', session.csrf).send(body);
}

/** Issues a key through the API as the given session; answers the 201 body. */
export async function issueThroughApi(
  session: LoggedIn,
  challenge: string,
  terms: Record<string, unknown> = PERPETUAL_TERMS,
): Promise<{ licenseKey: string; transactionId: string; license: { id: string } }> {
  const response = await send(session, 'post', '/api/v1/challenges/issue', {
    challenge,
    terms,
  }).expect(201);
  return response.body;
}

/**
 * What a refused request must leave as it was: the licenses, transactions, approval requests,
 * signing keys and audit events in the store.
 */
export async function storeState(fixture: Pick<Fixture, 'issuer'>) {
  const { store } = fixture.issuer;
  return {
    licenses: await store.listLicenses({}),
    transactions: await store.listTransactions({}),
    requests: await store.listRequests({}),
    keys: await fixture.issuer.keys.list(),
    audit: await store.listAuditEvents({}),
  };
}
