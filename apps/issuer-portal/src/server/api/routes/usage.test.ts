import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  type Fixture,
  issueThroughApi,
  type LoggedIn,
  loginAs,
  makeChallenge,
  makePortal,
  newInstallation,
  START,
  SUBSCRIPTION_TERMS,
} from '../../../../test/helpers.js';

const DAY_MS = 86_400_000;
let fixture: Fixture;
let viewer: LoggedIn;
let licenseId: string;
let checkCount = 0;

async function checksOn(at: number, ...inUse: number[]): Promise<void> {
  await fixture.issuer.store.recordChecks(
    inUse.map((used, i) => {
      checkCount += 1;
      return {
        id: `chk_usage${String(checkCount).padStart(16, '0')}`,
        at: at + i * 60_000,
        licenseId,
        installationId: 'inst_x',
        sdkVersion: '1.0.0',
        credentialsInUse: used,
        outcome: 'VALID' as const,
      };
    }),
  );
}

beforeEach(async () => {
  fixture = await makePortal();
  const issuer = await loginAs(fixture, 'ivan');
  viewer = await loginAs(fixture, 'vera');
  licenseId = (
    await issueThroughApi(issuer, makeChallenge(fixture, newInstallation()), {
      ...SUBSCRIPTION_TERMS,
      credentials: 250,
      termDays: 20,
    })
  ).license.id;
});
afterEach(async () => {
  await fixture.close();
});

describe('GET /licenses/{id}/usage', () => {
  it("answers the days' usage with the cap, the last 90 days by default", async () => {
    await checksOn(START - 100 * DAY_MS, 1);
    await checksOn(START - 2 * DAY_MS, 100, 140, 120);
    await checksOn(START, 230);
    const response = await viewer.agent.get(`/api/v1/licenses/${licenseId}/usage`).expect(200);
    expect(response.body).toMatchObject({
      licenseId,
      credentials: 250,
      from: '2026-08-31',
      to: '2026-11-28',
    });
    expect(
      response.body.days.map((d: { day: string; usageMax: number; usageLast: number }) => [
        d.day,
        d.usageMax,
        d.usageLast,
      ]),
    ).toEqual([
      ['2026-11-26', 140, 120],
      ['2026-11-28', 230, 230],
    ]);
    const ranged = await viewer.agent
      .get(`/api/v1/licenses/${licenseId}/usage`)
      .query({ from: '2026-08-01', to: '2026-11-27' })
      .expect(200);
    expect(ranged.body.days.map((d: { day: string }) => d.day)).toEqual([
      '2026-08-20',
      '2026-11-26',
    ]);
    const week = await viewer.agent
      .get(`/api/v1/licenses/${licenseId}/usage`)
      .query({ days: '7' })
      .expect(200);
    expect(week.body).toMatchObject({ from: '2026-11-22', to: '2026-11-28' });
    expect(week.body.days.map((d: { day: string }) => d.day)).toEqual(['2026-11-26', '2026-11-28']);
  });

  it('is 404 for an unknown license and 400 for a day that is not YYYY-MM-DD', async () => {
    const missing = await viewer.agent.get('/api/v1/licenses/lic_nothere/usage').expect(404);
    expect(missing.body.error.code).toBe('ERR_NOT_FOUND');
    const bad = await viewer.agent
      .get(`/api/v1/licenses/${licenseId}/usage`)
      .query({ from: '28.11.2026' })
      .expect(400);
    expect(bad.body.error.code).toBe('ERR_REQUEST_INVALID');
  });
});

describe('GET /licenses/{id}/usage with days no calendar has', () => {
  it.each([
    [{ to: '9999-99-99' }, 'to'],
    [{ from: '2026-13-01' }, 'from'],
    [{ to: '2026-00-10', days: '3' }, 'to'],
    [{ from: '2026-02-31' }, 'from'],
    [{ to: '2026-02-29' }, 'to'],
    [{ to: '0001-01-01', days: '3660' }, 'to'],
  ])('refuses %o with 400 ERR_REQUEST_INVALID naming %s', async (query, field) => {
    const response = await viewer.agent
      .get(`/api/v1/licenses/${licenseId}/usage`)
      .query(query)
      .expect(400);
    expect(response.body.error).toMatchObject({
      code: 'ERR_REQUEST_INVALID',
      issues: [{ path: `query.${field}`, message: expect.stringMatching(/real UTC day/) }],
    });
  });

  it('takes a leap day', async () => {
    const response = await viewer.agent
      .get(`/api/v1/licenses/${licenseId}/usage`)
      .query({ from: '2028-02-29', to: '2028-03-01' })
      .expect(200);
    expect(response.body).toMatchObject({ from: '2028-02-29', to: '2028-03-01', days: [] });
  });

  it('refuses a from after to with 400 ERR_REQUEST_INVALID saying so', async () => {
    for (const query of [
      { from: '2026-11-28', to: '2026-11-27' },
      { from: '2026-12-01' }, // to is today, 2026-11-28
    ]) {
      const response = await viewer.agent
        .get(`/api/v1/licenses/${licenseId}/usage`)
        .query(query)
        .expect(400);
      expect(response.body.error.code).toBe('ERR_REQUEST_INVALID');
      expect(response.body.error.message).toMatch(/from .* is after to/);
    }
  });
});

describe('GET /dashboard', () => {
  it('counts and lists what needs a look, for a viewer', async () => {
    await checksOn(START - 3_600_000, 240);
    const response = await viewer.agent.get('/api/v1/dashboard').expect(200);
    expect(response.body.nearCap).toMatchObject({ count: 1, more: false });
    expect(response.body.nearCap.items[0]).toMatchObject({
      licenseId,
      customerName: 'Globex',
      inUse: 240,
      percent: 96,
    });
    expect(response.body.expiring.items.map((e: { licenseId: string }) => e.licenseId)).toEqual([
      licenseId,
    ]);
    expect(response.body.stopped.count).toBe(0);
    expect(response.body.forks.count).toBe(0);
    const stricter = await viewer.agent
      .get('/api/v1/dashboard')
      .query({ nearCapPercent: '97', expiringWithinDays: '10' })
      .expect(200);
    expect(stricter.body.nearCap.count).toBe(0);
    expect(stricter.body.expiring.count).toBe(0);
  });

  it('refuses a threshold out of range', async () => {
    const response = await viewer.agent
      .get('/api/v1/dashboard')
      .query({ nearCapPercent: '0' })
      .expect(400);
    expect(response.body.error.code).toBe('ERR_REQUEST_INVALID');
  });

  it('needs a session', async () => {
    const { default: request } = await import('supertest');
    await request(fixture.app).get('/api/v1/dashboard').expect(401);
  });
});
