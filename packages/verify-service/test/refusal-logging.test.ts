// A flooding client cannot fill the disk through the log (#16.6): refused checks are logged once
// per client, code and interval, the rest counted in one line when the interval ends; a store
// outage is one error line per interval, not one per check.
import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import { createVerifyService, type VerifyService } from '../src/service.js';
import { checkToken, roomyLimits, seededStore, statusKey, T0, T0s } from './support/fixtures.js';
import { heapAfterGc } from './support/heap.js';
import { postCheck } from './support/http.js';

interface Line {
  level: number;
  msg: string;
  code?: string;
  client?: string;
  event?: string;
  count?: number;
}

function serviceWithLog(config: Parameters<typeof createVerifyService>[0]['config'] = {}) {
  const lines: Line[] = [];
  const logger = pino({ level: 'info' }, { write: (line: string) => lines.push(JSON.parse(line)) });
  const clock = { now: T0 };
  const store = seededStore();
  const service = createVerifyService({
    store,
    statusKeys: [statusKey],
    logger,
    now: () => clock.now,
    config: { ...roomyLimits, trustProxy: true, ...config },
  });
  return { service, store, clock, lines };
}

const from = (client: string) => ({ 'x-forwarded-for': client });
const refused = (lines: Line[]) => lines.filter((l) => l.msg === 'check refused');

async function flood(service: VerifyService, client: string, count: number, iat = T0s) {
  for (let i = 0; i < count; i++) await postCheck(service.app, checkToken({ iat }), from(client));
}

describe('refusal logging (#16.6)', () => {
  it('writes one line for a client flooding refused checks, and one count when the interval ends', async () => {
    const { service, clock, lines } = serviceWithLog({
      rateLimitPerIp: { burst: 1, perSecond: 0.001 },
    });
    await flood(service, '203.0.113.7', 60);
    expect(refused(lines)).toEqual([
      expect.objectContaining({ code: 'ERR_RATE_LIMITED', client: '203.0.113.7', level: 30 }),
    ]);

    clock.now = T0 + 10_000;
    await flood(service, '203.0.113.7', 1, T0s + 10);
    expect(lines.filter((l) => l.event === 'refusals_suppressed')).toEqual([
      expect.objectContaining({ code: 'ERR_RATE_LIMITED', client: '203.0.113.7', count: 58 }),
    ]);
    expect(refused(lines)).toHaveLength(2);
  });

  it('still logs the first refusal of every other client and of every other code', async () => {
    const { service, lines } = serviceWithLog({ rateLimitPerIp: { burst: 1, perSecond: 0.001 } });
    await flood(service, '203.0.113.7', 5);
    await flood(service, '203.0.113.8', 5);
    await postCheck(service.app, 'garbage', from('203.0.113.9'));
    await postCheck(service.app, 'garbage', from('203.0.113.9'));
    await postCheck(service.app, 'garbage', from('203.0.113.9'));
    expect(refused(lines).map((l) => [l.client, l.code])).toEqual([
      ['203.0.113.7', 'ERR_RATE_LIMITED'],
      ['203.0.113.8', 'ERR_RATE_LIMITED'],
      ['203.0.113.9', 'ERR_JWS_MALFORMED'],
      ['203.0.113.9', 'ERR_RATE_LIMITED'],
    ]);
  });

  it('writes the counts still open when the service drains', async () => {
    const { service, lines } = serviceWithLog({ rateLimitPerIp: { burst: 1, perSecond: 0.001 } });
    await flood(service, '203.0.113.7', 4);
    await service.drain(Date.now() + 1_000);
    expect(lines.filter((l) => l.event === 'refusals_suppressed')).toEqual([
      expect.objectContaining({ client: '203.0.113.7', count: 2 }),
    ]);
  });

  it('logs a store outage once per interval at error level, whoever checks', async () => {
    const { service, store, lines } = serviceWithLog();
    store.down = true;
    for (let i = 0; i < 20; i++) {
      const answer = await postCheck(
        service.app,
        checkToken({ lid: `lic_nosuch${i}` }),
        from(`203.0.113.${i}`),
      );
      expect(answer.status).toBe(503);
    }
    const errors = lines.filter((l) => l.level >= 50);
    expect(errors).toEqual([expect.objectContaining({ code: 'ERR_STORE_UNAVAILABLE' })]);
  });

  it('keeps no forwarded-for header per client: a client padding it to 14 KB holds its address only', async () => {
    const { service, lines } = serviceWithLog();
    const clients = 600;
    // The warm-up makes the route's code and the supertest agent before the heap is measured.
    await postCheck(service.app, 'garbage', from('192.0.2.1'));
    const before = heapAfterGc();
    for (let i = 0; i < clients; i++) {
      // What a trusted proxy passes on: the caller's own header, then the hop it saw.
      const padding = `${i.toString(36)}${'x'.repeat(14_000)}`;
      await postCheck(service.app, 'garbage', from(`${padding}, 2001:db8::${i.toString(16)}`));
    }
    const grown = heapAfterGc() - before;
    expect(refused(lines).filter((l) => l.client?.startsWith('2001:db8::'))).toHaveLength(clients);
    // The per-client rate limiter and refusal log each hold 600 entries: kept with their headers
    // they would keep 8.4 MB of headers.
    expect(grown).toBeLessThan(3_000_000);
  });

  it('keeps at most 64 characters of a last hop that is no address (a proxy that does not append its own)', async () => {
    const { service, lines } = serviceWithLog();
    const clients = 600;
    await postCheck(service.app, 'garbage', from('192.0.2.1'));
    const before = heapAfterGc();
    for (let i = 0; i < clients; i++) {
      await postCheck(service.app, 'garbage', from(`${i.toString(36)}-${'x'.repeat(14_000)}`));
    }
    const grown = heapAfterGc() - before;
    const logged = refused(lines).slice(1);
    expect(logged).toHaveLength(clients);
    expect(Math.max(...logged.map((l) => l.client?.length ?? 0))).toBe(64);
    // Kept whole, 600 such hops are 8.4 MB in each of the limiter and the refusal log.
    expect(grown).toBeLessThan(3_000_000);
  });
});
