// A small verify service for tests: it speaks the check protocol (POST /v1/checks, application/jose
// both ways), verifies each check with the installation's key, and answers what the test plans.
import { createHash } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import {
  type CheckClaims,
  type Ed25519KeyPair,
  publicKeyFromJwk,
  type StatusClaims,
  signStatus,
  verifyChallenge,
  verifyCheck,
} from '@licensor/token';
import { type FrozenClock, statusKey } from './fixtures.js';

export interface Reply {
  status?: number;
  contentType?: string;
  body: string;
}

/** How the server answers a check; a promise answers when it settles (a slow service). */
export type Plan = (
  check: CheckClaims,
  installationId: string,
) => Reply | 'hang' | Promise<Reply | 'hang'>;

export interface VerifyServer {
  url: string;
  checks: CheckClaims[];
  /** Make the installation that made this challenge known (its key verifies its checks). */
  register(challenge: string): void;
  plan: Plan;
  close(): Promise<void>;
}

/** A status as the real service would sign it for `check`; fields can be overridden. */
export function statusFor(
  check: CheckClaims,
  installationId: string,
  clock: FrozenClock,
  overrides: Partial<StatusClaims> = {},
  key: Ed25519KeyPair = statusKey,
): Reply {
  const iat = clock.seconds;
  // Answered in the version it was asked in; version 2 hands out the next chain value and the
  // installation's clock offset, as the real service does.
  const v2 =
    check.v === 2
      ? {
          v: 2 as const,
          chain: createHash('sha256')
            .update(`test-chain:${check.prev ?? ''}:${check.nonce}`)
            .digest('base64url'),
          skew: (overrides.iat ?? iat) - check.iat,
        }
      : { v: 1 as const };
  const claims: StatusClaims = {
    ...v2,
    iat,
    nonce: check.nonce,
    lid: check.lid,
    sub: installationId,
    outcome: 'VALID',
    rev: check.rev,
    termEnd: null,
    checkBy: iat + 86_400,
    license: null,
    ...overrides,
  };
  return { contentType: 'application/jose', body: signStatus(claims, key) };
}

export async function startVerifyServer(clock: FrozenClock): Promise<VerifyServer> {
  const keys = new Map<string, Uint8Array>();
  const state: VerifyServer = {
    url: '',
    checks: [],
    register(challenge) {
      const verified = verifyChallenge(challenge);
      keys.set(verified.installationId, publicKeyFromJwk(verified.publicJwk));
    },
    plan: (check, installationId) => statusFor(check, installationId, clock),
    close: async () => undefined,
  };
  const server: Server = createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', async () => {
      let check: ReturnType<typeof verifyCheck>;
      try {
        if (request.method !== 'POST' || request.url !== '/v1/checks') throw new Error('not found');
        if (request.headers['content-type'] !== 'application/jose') throw new Error('content type');
        check = verifyCheck(Buffer.concat(chunks).toString('utf8'), (kid) => keys.get(kid));
      } catch (error) {
        response.writeHead(400, { 'content-type': 'application/json' });
        response.end(
          JSON.stringify({
            error: { code: 'ERR_BAD_CHECK', message: String(error), requestId: 'req_test' },
          }),
        );
        return;
      }
      state.checks.push(check.claims);
      let reply: Reply | 'hang';
      try {
        reply = await state.plan(check.claims, check.installationId);
      } catch (error) {
        // A plan that throws is a bug in the test: answer 500 so the test fails fast, not hangs.
        reply = {
          status: 500,
          contentType: 'application/json',
          body: JSON.stringify({ error: { code: 'TEST_PLAN', message: String(error) } }),
        };
      }
      if (reply === 'hang') return;
      response.writeHead(reply.status ?? 200, {
        'content-type': reply.contentType ?? 'application/jose',
      });
      response.end(reply.body);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  state.url = `http://127.0.0.1:${port}/v1/checks`;
  state.close = () =>
    new Promise<void>((resolve) => {
      server.closeAllConnections();
      server.close(() => resolve());
    });
  return state;
}

/** A URL where nothing listens. */
export async function unreachableUrl(): Promise<string> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return `http://127.0.0.1:${port}/v1/checks`;
}
