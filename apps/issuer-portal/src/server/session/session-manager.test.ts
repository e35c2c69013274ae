import type { Request, Response } from 'express';
import { describe, expect, it } from 'vitest';
import { COOKIE_NAME, SessionManager, USER_RECHECK_MS, type UserCheck } from './session-manager.js';
import { MemorySessionStore } from './session-store.js';

const TIMEOUTS = { idleMs: 30 * 60_000, absoluteMs: 12 * 3_600_000 };
const USER = { id: 'usr_1', name: 'ivan', role: 'issuer' as const };

/** Just enough of express's req/res for the manager: a Cookie header in, a cookie out. */
function exchange(cookie?: string) {
  const set: { name: string; value: string; options: Record<string, unknown> }[] = [];
  const req = {
    secure: false,
    get: (name: string) => (name.toLowerCase() === 'cookie' ? cookie : undefined),
  } as unknown as Request;
  const res = {
    cookie: (name: string, value: string, options: Record<string, unknown>) =>
      set.push({ name, value, options }),
    clearCookie: () => undefined,
  } as unknown as Response;
  return { req, res, set };
}

describe('SessionManager', () => {
  it('starts a session with fresh random ids and an HTTP-only SameSite=Strict cookie', async () => {
    const store = new MemorySessionStore();
    const manager = new SessionManager(store, TIMEOUTS, () => 1_000);
    const { req, res, set } = exchange();
    const session = await manager.start(req, res, USER);
    expect(session.id).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(session.csrfToken).not.toBe(session.id);
    expect(set[0]).toMatchObject({
      name: COOKIE_NAME,
      value: session.id,
      options: { httpOnly: true, sameSite: 'strict', secure: false, path: '/' },
    });
  });

  it('touches the idle timer on each lookup, and expires on idle or absolute time', async () => {
    let now = 0;
    const store = new MemorySessionStore();
    const manager = new SessionManager(store, TIMEOUTS, () => now);
    const started = await manager.start(exchange().req, exchange().res, USER);
    const cookie = `${COOKIE_NAME}=${started.id}`;
    now = 29 * 60_000;
    expect((await manager.lookup(exchange(cookie).req)).kind).toBe('active');
    now += 29 * 60_000;
    expect((await manager.lookup(exchange(cookie).req)).kind).toBe('active');
    now += 30 * 60_000;
    expect((await manager.lookup(exchange(cookie).req)).kind).toBe('expired');
    expect(store.size).toBe(0);
  });

  it('reads its user again at most every USER_RECHECK_MS: a lower role follows, `end` ends it', async () => {
    let now = 0;
    let answer: Awaited<ReturnType<UserCheck>> = { kind: 'keep', role: 'issuer' };
    let reads = 0;
    const store = new MemorySessionStore();
    const manager = new SessionManager(
      store,
      TIMEOUTS,
      () => now,
      async () => {
        reads += 1;
        return answer;
      },
    );
    const started = await manager.start(exchange().req, exchange().res, USER);
    const cookie = `${COOKIE_NAME}=${started.id}`;
    const lookup = () => manager.lookup(exchange(cookie).req);
    expect(await lookup()).toMatchObject({ kind: 'active', session: { role: 'issuer' } });
    answer = { kind: 'keep', role: 'viewer' };
    now = USER_RECHECK_MS - 1;
    expect(await lookup()).toMatchObject({ kind: 'active', session: { role: 'issuer' } });
    expect(reads).toBe(1);
    now = USER_RECHECK_MS;
    expect(await lookup()).toMatchObject({ kind: 'active', session: { role: 'viewer' } });
    expect(reads).toBe(2);
    answer = { kind: 'end' };
    now = 2 * USER_RECHECK_MS;
    expect((await lookup()).kind).toBe('ended');
    expect(store.size).toBe(0);
  });

  it('ignores cookie values that are not a session id it made', async () => {
    const manager = new SessionManager(new MemorySessionStore(), TIMEOUTS, () => 0);
    for (const value of ['', 'short', 'A'.repeat(43), '../../etc/passwd', '%E0%A4%A']) {
      expect((await manager.lookup(exchange(`${COOKIE_NAME}=${value}`).req)).kind).toBe('none');
    }
  });
});

describe('MemorySessionStore', () => {
  it('sweeps expired sessions and ends every session of one user', async () => {
    let now = 0;
    const store = new MemorySessionStore();
    const manager = new SessionManager(store, TIMEOUTS, () => now);
    await manager.start(exchange().req, exchange().res, USER);
    await manager.start(exchange().req, exchange().res, USER);
    await manager.start(exchange().req, exchange().res, { ...USER, id: 'usr_2', name: 'vera' });
    await store.deleteForUser('usr_1');
    expect(store.size).toBe(1);
    now = 29 * 60_000;
    await manager.sweep();
    expect(store.size).toBe(1);
    now = 31 * 60_000;
    await manager.sweep();
    expect(store.size).toBe(0);
  });
});
