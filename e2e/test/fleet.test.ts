// More than one machine, in small: one MongoDB-protocol store (FerretDB in CI), two portal
// processes and two verify-service processes on it, and a round-robin load balancer in the test
// in front of each pair, as the deployment guide lays them out. A session opened on one portal
// holds on the other; an issue on one is seen on the other at once; checks spread over both
// verify instances answer as one would (a replay refused across them, a suspension seen within
// the stated bound); killing one verify instance mid-load costs only the requests in flight on
// it. Needs MONGODB_URI (required under LICENSOR_REQUIRE_MONGO=1).

import { randomBytes } from 'node:crypto';
import { createServer, request, type Server } from 'node:http';
import { generateKeyPair, signChallenge, signCheck } from '@licensor/token';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bins, freePort, Service } from '../src/processes.js';
import { Product } from '../src/product.js';
import { mongoUriFor, tempDir } from './helpers.js';

const mongoBase = process.env.MONGODB_URI || undefined;
if (!mongoBase) {
  const message = 'fleet e2e skipped: it needs MONGODB_URI (scripts/ferretdb.sh starts FerretDB)';
  if (process.env.LICENSOR_REQUIRE_MONGO === '1') {
    throw new Error(`${message}; LICENSOR_REQUIRE_MONGO=1 requires it`);
  }
  console.warn(message);
}

/**
 * Round-robin over 127.0.0.1 ports. A target that refuses the connection is taken out for a
 * second and the request goes to the next one (nothing reached it); a connection that breaks
 * after the request was sent is a 502 (that request was in flight).
 */
class RoundRobin {
  private next = 0;
  private readonly downUntil = new Map<number, number>();
  private server!: Server;
  url = '';

  constructor(private readonly ports: () => number[]) {}

  async start(): Promise<void> {
    this.server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (chunk: Buffer) => chunks.push(chunk));
      req.on('end', () => this.forward(req, res, Buffer.concat(chunks), 0));
    });
    await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', resolve));
    const address = this.server.address();
    this.url = `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}`;
  }

  stop(): Promise<void> {
    this.server.closeAllConnections();
    return new Promise((resolve) => this.server.close(() => resolve()));
  }

  private pick(): number | undefined {
    const ports = this.ports();
    for (let tried = 0; tried < ports.length; tried++) {
      const port = ports[this.next++ % ports.length]!;
      if ((this.downUntil.get(port) ?? 0) <= Date.now()) return port;
    }
    return undefined;
  }

  private forward(
    req: import('node:http').IncomingMessage,
    res: import('node:http').ServerResponse,
    body: Buffer,
    attempt: number,
  ): void {
    const port = this.pick();
    if (port === undefined || attempt > this.ports().length) {
      res.writeHead(503).end();
      return;
    }
    let sent = false;
    const upstream = request(
      // A fresh connection per request, as a proxy without upstream keep-alive: a pooled socket
      // to a killed instance would fail with a reset instead of a refusal it can fail over on.
      {
        host: '127.0.0.1',
        port,
        method: req.method,
        path: req.url,
        headers: req.headers,
        agent: false,
      },
      (answer) => {
        res.writeHead(answer.statusCode ?? 502, answer.headers);
        answer.pipe(res);
      },
    );
    upstream.on('socket', (socket) => socket.on('connect', () => (sent = true)));
    upstream.on('error', (error: NodeJS.ErrnoException) => {
      if (!sent && error.code === 'ECONNREFUSED') {
        this.downUntil.set(port, Date.now() + 1000);
        this.forward(req, res, body, attempt + 1);
      } else if (!res.headersSent) {
        res.writeHead(502).end();
      } else {
        res.destroy();
      }
    });
    upstream.end(body);
  }
}

async function post(url: string, body: string): Promise<{ status: number; text: string }> {
  const response = await fetch(`${url}/v1/checks`, {
    method: 'POST',
    headers: { 'content-type': 'application/jose' },
    body,
  });
  return { status: response.status, text: await response.text() };
}

/** The outcome claim of a status token (the signature is the SDK's business, not this test's). */
function outcomeOf(statusToken: string): string {
  const payload = statusToken.split('.')[1]!;
  return (JSON.parse(Buffer.from(payload, 'base64url').toString('utf8')) as { outcome: string })
    .outcome;
}

describe.skipIf(!mongoBase)('a fleet on one MongoDB store', () => {
  const data = tempDir('fleet');
  let product: Product;
  let secondPortal: Service;
  let portals: string[];
  let portalBalancer: RoundRobin;
  let verifyBalancer: RoundRobin;
  /**
   * Licenses, each on its own installation: the service limits checks per installation (a burst
   * of 10), so the load is spread over many, as a fleet of installations would send it.
   */
  const pool: { licenseId: string; revision: number; key: ReturnType<typeof generateKeyPair> }[] =
    [];
  let turn = 0;

  const checkOf = (entry: (typeof pool)[number]) =>
    signCheck(
      {
        v: 1,
        iat: Math.floor(Date.now() / 1000),
        nonce: randomBytes(16).toString('base64url'),
        lid: entry.licenseId,
        rev: entry.revision,
        sdk: '1.0.0',
        product: { name: 'CMS', version: '5.2.0' },
        usage: { credentialsInUse: 3 },
      },
      entry.key,
    );
  /** A check from the next installation of the pool. */
  const check = () => checkOf(pool[turn++ % pool.length]!);

  async function issue(portal: string, session: { cookie: string; csrf: string }) {
    const key = generateKeyPair();
    const iat = Math.floor(Date.now() / 1000);
    const challenge = signChallenge(
      {
        v: 1,
        jti: randomBytes(16).toString('base64url'),
        iat,
        exp: iat + 3600,
        sub: key.kid,
        product: { name: 'CMS', version: '5.2.0' },
        license: null,
        usage: { credentialsInUse: 0 },
        request: { kind: 'license', credentials: 50 },
      },
      key,
    );
    const issued = await fetch(`${portal}/api/v1/challenges/issue`, {
      method: 'POST',
      headers: {
        cookie: session.cookie,
        'x-csrf-token': session.csrf,
        'content-type': 'application/json',
        origin: portal,
      },
      body: JSON.stringify({
        challenge,
        terms: { customerName: 'Fleet Ltd', model: 'subscription', credentials: 50, termDays: 30 },
      }),
    });
    expect(issued.status).toBe(201);
    const answer = (await issued.json()) as { license: { id: string; revision: number } };
    return { licenseId: answer.license.id, revision: answer.license.revision, key };
  }

  async function login(portal: string): Promise<{ cookie: string; csrf: string }> {
    const response = await fetch(`${portal}/api/v1/auth/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ name: product.vendor.name, password: product.vendor.password }),
    });
    expect(response.status).toBe(200);
    const cookie = response.headers
      .getSetCookie()
      .map((c) => c.split(';')[0])
      .join('; ');
    return { cookie, csrf: ((await response.json()) as { csrfToken: string }).csrfToken };
  }

  beforeAll(async () => {
    product = await Product.start({
      dataDir: data.path,
      mongoUri: mongoUriFor(mongoBase!, 'fleet'),
      verifyInstances: 2,
      cacheTtlMs: 1000,
    });
    const port = await freePort();
    secondPortal = Service.start(
      'portal-2',
      bins.portal,
      ['serve', '--port', String(port), ...product.storeArgs],
      product.env,
    );
    const second = `http://127.0.0.1:${port}`;
    await secondPortal.waitUntilReady(`${second}/api/v1/health`);
    portals = [product.portalUrl, second];
    portalBalancer = new RoundRobin(() => portals.map((url) => Number(new URL(url).port)));
    verifyBalancer = new RoundRobin(() =>
      product.verifyUrls.map((url) => Number(new URL(url).port)),
    );
    await portalBalancer.start();
    await verifyBalancer.start();
  });
  afterAll(async () => {
    await portalBalancer?.stop();
    await verifyBalancer?.stop();
    await secondPortal?.stop();
    await product?.stop();
    data.remove();
  });

  it('keeps a user logged in on the other portal, and shows an issue there at once', async () => {
    const session = await login(portals[0]!);
    const seen = await fetch(`${portals[1]}/api/v1/auth/session`, {
      headers: { cookie: session.cookie },
    });
    expect(seen.status).toBe(200);
    // Issued through the first portal with a session opened there...
    const first = await issue(portals[0]!, session);
    pool.push(first);
    // ...and read through the other, with the same session, at once.
    const detail = await fetch(`${portals[1]}/api/v1/licenses/${first.licenseId}`, {
      headers: { cookie: session.cookie },
    });
    expect(detail.status).toBe(200);
    expect(((await detail.json()) as { license: { id: string } }).license.id).toBe(first.licenseId);
    // The rest of the fleet, issued through the balancer (either portal, one session).
    while (pool.length < 24) pool.push(await issue(portalBalancer.url, session));
  });

  it('answers checks spread over both verify instances as one, and refuses a replay across them', async () => {
    const answers = await Promise.all(
      Array.from({ length: 8 }, () => post(verifyBalancer.url, check())),
    );
    expect(answers.map((a) => a.status)).toEqual(Array(8).fill(200));
    expect(answers.map((a) => outcomeOf(a.text))).toEqual(Array(8).fill('VALID'));

    const once = checkOf(pool[pool.length - 1]!);
    expect((await post(product.verifyUrls[0]!, once)).status).toBe(200);
    const replayed = await post(product.verifyUrls[1]!, once);
    expect(replayed.status).toBe(400);
    expect(replayed.text).toContain('ERR_CHECK_REPLAYED');
  });

  it('answers SUSPENDED on both within the revocation bound after a suspension on either portal', async () => {
    const session = await login(portals[1]!);
    const target = pool[1]!;
    const suspended = await fetch(`${portals[1]}/api/v1/licenses/${target.licenseId}/suspend`, {
      method: 'POST',
      headers: {
        cookie: session.cookie,
        'x-csrf-token': session.csrf,
        'content-type': 'application/json',
        origin: portals[1]!,
      },
      body: JSON.stringify({ reason: 'fleet e2e' }),
    });
    expect(suspended.status).toBe(200);
    const deadline = Date.now() + product.revocationBoundMs + 2_000;
    let outcomes: string[] = [];
    while (Date.now() < deadline) {
      outcomes = await Promise.all(
        product.verifyUrls.map(async (url) => outcomeOf((await post(url, checkOf(target))).text)),
      );
      if (outcomes.every((o) => o === 'SUSPENDED')) break;
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
    expect(outcomes).toEqual(['SUSPENDED', 'SUSPENDED']);
    const resumed = await fetch(`${portals[0]}/api/v1/licenses/${target.licenseId}/resume`, {
      method: 'POST',
      headers: {
        cookie: session.cookie,
        'x-csrf-token': session.csrf,
        'content-type': 'application/json',
        origin: portals[0]!,
      },
      body: JSON.stringify({}),
    });
    expect(resumed.status).toBe(200);
    pool.splice(1, 1); // its installation spent its burst on the polling above
  });

  it('loses only the requests in flight when one verify instance is killed mid-load', async () => {
    const inFlight = 6;
    const total = 8 * (pool.length - 2);
    let sent = 0;
    let answered = 0;
    const failed: number[] = [];
    let killedAt = -1;
    const victim = product.verifyServices[1]!;
    await Promise.all(
      Array.from({ length: inFlight }, async () => {
        while (sent < total) {
          sent += 1;
          const { status } = await post(verifyBalancer.url, check());
          answered += 1;
          if (status !== 200) failed.push(status);
          if (answered === 40 && killedAt < 0) {
            killedAt = answered;
            await victim.kill();
          }
        }
      }),
    );
    expect(killedAt).toBe(40);
    expect(victim.running).toBe(false);
    expect(answered).toBe(total);
    // A 429 is an answer, not a loss: once one instance takes every check, its per-installation
    // rate limit (burst 10, one per 6 s) refuses some of the 8 checks each installation sends
    // here within a second. Lost are only the requests that were on the killed instance.
    const lost = failed.filter((status) => status !== 429);
    expect(lost.length).toBeLessThanOrEqual(inFlight);
    expect(lost.every((status) => status === 502)).toBe(true);
  });
});
