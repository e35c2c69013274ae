import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openIssuer } from '@licensor/issuer';
import { openStore } from '@licensor/issuer/store';
import { pino } from 'pino';
import request from 'supertest';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { createPortalApp } from './app.js';
import { createPortalMetrics } from './metrics.js';
import { MemorySessionStore } from './session/session-store.js';

const cleanups: (() => Promise<unknown> | unknown)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

/** The value of the unlabelled series `name` in a text exposition (undefined: none). */
function sample(text: string, name: string): number | undefined {
  const line = text.split('\n').find((l) => l.startsWith(`${name} `));
  return line === undefined ? undefined : Number(line.slice(name.length + 1));
}

const TOKEN = 'a1b2c3d4e5f60718293a4b5c6d7e8f90';

describe('GET /metrics (portal)', () => {
  it("shows the store's failing checkpoints and logs them once (warn, with the cause and what to do), not at each scrape", async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'licensor-portal-metrics-'));
    cleanups.push(() => rmSync(dataDir, { recursive: true, force: true }));
    // The log holds the schema's pages from the open: past 1 frame, the thread checkpoints.
    const store = await openStore({
      dataDir,
      sqliteCheckpointer: {
        atFrames: 1,
        faults: { failCheckpoints: { code: 'SQLITE_FULL', message: 'database or disk is full' } },
      },
    });
    cleanups.push(() => store.close());
    const issuer = await openIssuer({ store });
    const lines: Record<string, unknown>[] = [];
    const logger = pino(
      { level: 'info' },
      { write: (line: string) => lines.push(JSON.parse(line)) },
    );
    const portal = createPortalApp({ issuer, logger, webRoot: null, metricsToken: TOKEN });
    cleanups.push(() => portal.metrics.stop());
    const warned = () => lines.filter((line) => line.event === 'store_checkpoint_failed');
    const scrape = async () => {
      const response = await request(portal.app)
        .get('/metrics')
        .set('Authorization', `Bearer ${TOKEN}`);
      expect(response.status).toBe(200);
      expect(response.headers['content-type']).toMatch(/^text\/plain/);
      return response.text;
    };
    // The watch looks every 5 s; scrapes meanwhile log nothing.
    await vi.waitFor(
      async () => {
        expect(sample(await scrape(), 'licensor_store_checkpoint_failures_total')).toBeGreaterThan(
          0,
        );
        expect(warned()).toHaveLength(1);
      },
      { timeout: 10_000, interval: 200 },
    );
    const text = await scrape();
    expect(text).toMatch(/# HELP licensor_store_checkpoint_failures_total .*free disk space/);
    expect(text).toContain('# TYPE licensor_store_checkpoint_failures_total counter');
    expect(sample(text, 'licensor_store_checkpoint_thread_up')).toBe(1);
    expect(sample(text, 'licensor_store_wal_bytes')).toBeGreaterThan(0);
    for (let i = 0; i < 5; i += 1) await scrape();
    expect(warned()).toHaveLength(1);
    expect(warned()[0]).toMatchObject({ level: 40, code: 'SQLITE_FULL' });
    expect(String(warned()[0]!.msg)).toMatch(/free disk space/);
  });

  it('shows no licensor_store_* series for a store with no log of its own to watch (MongoDB)', async () => {
    const metrics = createPortalMetrics(
      { logHealth: () => ({ kind: 'server-managed' }) },
      pino({ level: 'silent' }),
    );
    cleanups.push(() => metrics.stop());
    expect(await metrics.registry.metrics()).not.toContain('licensor_store_');
  });

  describe('the scrape token', () => {
    async function portalWith(metricsToken?: string) {
      const dataDir = mkdtempSync(join(tmpdir(), 'licensor-portal-metrics-'));
      cleanups.push(() => rmSync(dataDir, { recursive: true, force: true }));
      const store = await openStore({ dataDir });
      cleanups.push(() => store.close());
      const issuer = await openIssuer({ store });
      const sessionStore = new MemorySessionStore();
      const portal = createPortalApp({
        issuer,
        logger: pino({ level: 'silent' }),
        webRoot: null,
        sessionStore,
        ...(metricsToken === undefined ? {} : { metricsToken }),
      });
      cleanups.push(() => portal.metrics.stop());
      return { portal, sessionsMade: vi.spyOn(sessionStore, 'set') };
    }

    it('is off (404, saying how to turn it on) when no token is configured, and leaks no series', async () => {
      const { portal } = await portalWith();
      const response = await request(portal.app)
        .get('/metrics')
        .set('Authorization', `Bearer ${TOKEN}`);
      expect(response.status).toBe(404);
      expect(response.body.error.code).toBe('ERR_NOT_FOUND');
      expect(response.body.error.message).toMatch(/LICENSOR_METRICS_TOKEN/);
      expect(response.text).not.toContain('licensor_store_');
    });

    it('refuses a scrape without the token, with another one, or in another scheme: 401, no series, no cookie', async () => {
      const { portal, sessionsMade } = await portalWith(TOKEN);
      for (const header of [
        undefined,
        `Bearer ${TOKEN.slice(0, -1)}`,
        `Bearer ${TOKEN}x`,
        `Basic ${Buffer.from(`prometheus:${TOKEN}`).toString('base64')}`,
        'Bearer ',
        TOKEN,
      ]) {
        const call = request(portal.app).get('/metrics');
        const response = await (header === undefined ? call : call.set('Authorization', header));
        expect(response.status, String(header)).toBe(401);
        expect(response.headers['www-authenticate']).toBe('Bearer realm="licensor-metrics"');
        expect(response.headers['set-cookie']).toBeUndefined();
        expect(response.body.error.code).toBe('ERR_UNAUTHENTICATED');
        expect(response.body.error.message).toMatch(/Authorization: Bearer/);
        expect(response.text).not.toContain('licensor_store_');
      }
      expect(sessionsMade).not.toHaveBeenCalled();
      const ok = await request(portal.app).get('/metrics').set('Authorization', `bearer ${TOKEN}`);
      expect(ok.status).toBe(200);
      expect(ok.text).toContain('licensor_store_checkpoint_failures_total');
    });

    it('refuses a token shorter than 16 characters, naming the setting', () => {
      expect(() =>
        createPortalMetrics(
          { logHealth: () => ({ kind: 'server-managed' }) },
          pino({ level: 'silent' }),
          'short',
        ),
      ).toThrow(/LICENSOR_METRICS_TOKEN must be at least 16 characters/);
    });
  });
});
