import request from 'supertest';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  type Fixture,
  issueThroughApi,
  type LoggedIn,
  loginAs,
  makeChallenge,
  makePortal,
  newInstallation,
  SUBSCRIPTION_TERMS,
} from '../../../../test/helpers.js';
import { csvCell } from '../../export/stream.js';

let fixture: Fixture;
let ivan: LoggedIn;

beforeEach(async () => {
  fixture = await makePortal();
  ivan = await loginAs(fixture, 'ivan');
});
afterEach(async () => {
  await fixture.close();
});

function parseCsv(text: string): string[][] {
  return text
    .trimEnd()
    .split('\r\n')
    .map((line) => line.split(','));
}

describe('exports', () => {
  it('streams the licenses the list filters select as CSV', async () => {
    const ids: string[] = [];
    for (let i = 0; i < 3; i++) {
      ids.push((await issueThroughApi(ivan, makeChallenge(fixture, newInstallation()))).license.id);
    }
    const sub = await issueThroughApi(
      ivan,
      makeChallenge(fixture, newInstallation()),
      SUBSCRIPTION_TERMS,
    );
    const all = await ivan.agent.get('/api/v1/licenses/export?format=csv').expect(200);
    expect(all.headers['content-type']).toMatch(/^text\/csv/);
    expect(all.headers['content-disposition']).toBe('attachment; filename="licenses.csv"');
    const rows = parseCsv(all.text);
    expect(rows[0]!.slice(0, 5)).toEqual(['id', 'customerId', 'customerName', 'state', 'model']);
    expect(
      rows
        .slice(1)
        .map((r) => r[0])
        .sort(),
    ).toEqual([...ids, sub.license.id].sort());
    const filtered = await ivan.agent.get('/api/v1/licenses/export?model=subscription').expect(200);
    const subRows = parseCsv(filtered.text);
    expect(subRows).toHaveLength(2);
    expect(subRows[1]).toEqual(
      expect.arrayContaining([sub.license.id, 'Globex', 'subscription', '250']),
    );
    expect(subRows[1]![9]).toBe('14');
  });

  it('pages through more than one store page without loss', async () => {
    // 501 licenses written straight through the issuer (the API would take too long).
    const terms = { customerName: 'Bulk', model: 'perpetual', credentials: 1 } as const;
    for (let i = 0; i < 501; i++) {
      await fixture.issuer.issue(makeChallenge(fixture, newInstallation()), terms, 'test');
    }
    const response = await ivan.agent.get('/api/v1/licenses/export?format=jsonl').expect(200);
    expect(response.headers['content-type']).toMatch(/^application\/x-ndjson/);
    const lines = response.text
      .trimEnd()
      .split('\n')
      .map((l) => JSON.parse(l));
    expect(new Set(lines.map((l) => l.id)).size).toBe(501);
  }, 120_000);

  it('exports the audit log of a time range, oldest first, from an API token too', async () => {
    const alice = await loginAs(fixture, 'alice');
    const token = await alice.agent
      .post('/api/v1/tokens')
      .set('X-CSRF-Token', alice.csrf)
      .send({ name: 'SIEM' })
      .expect(201);
    const from = fixture.clock.now;
    fixture.advance(1_000);
    await issueThroughApi(ivan, makeChallenge(fixture, newInstallation()));
    fixture.advance(1_000);
    await issueThroughApi(ivan, makeChallenge(fixture, newInstallation()));
    const to = fixture.clock.now;
    fixture.advance(1_000);
    await issueThroughApi(ivan, makeChallenge(fixture, newInstallation()));
    const response = await request(fixture.app)
      .get(`/api/v1/audit/export?format=jsonl&from=${from + 1}&to=${to + 1}`)
      .set('Authorization', `Bearer ${token.body.secret}`)
      .expect(200);
    const events = response.text
      .trimEnd()
      .split('\n')
      .map((l) => JSON.parse(l));
    expect(events.map((e) => e.action)).toEqual(['license.issue', 'license.issue']);
    expect(events[0].at).toBeLessThan(events[1].at);
    const csv = await ivan.agent
      .get(`/api/v1/audit/export?from=${from + 1}&to=${to + 1}`)
      .expect(200);
    expect(parseCsv(csv.text)[0]).toEqual([
      'at',
      'id',
      'actor',
      'action',
      'subjectId',
      'transactionId',
      'details',
    ]);
  });

  it('refuses a bad range or format with the one error body', async () => {
    const bad = await ivan.agent.get('/api/v1/audit/export?from=10&to=5').expect(400);
    expect(bad.body.error.code).toBe('ERR_REQUEST_INVALID');
    await ivan.agent.get('/api/v1/licenses/export?format=xlsx').expect(400);
    await request(fixture.app).get('/api/v1/licenses/export').expect(401);
  });

  it('reads an empty query parameter as an absent one, not as 0', async () => {
    await issueThroughApi(ivan, makeChallenge(fixture, newInstallation()));
    // `to=` was read as 0, before `from`: refused. Absent, it is now.
    const blank = await ivan.agent.get('/api/v1/audit/export?format=jsonl&from=&to=').expect(200);
    const all = await ivan.agent.get('/api/v1/audit/export?format=jsonl').expect(200);
    expect(blank.text.trim().split('\n').length).toBeGreaterThan(0);
    expect(blank.text).toBe(all.text);
    // `limit=` was read as 0: "too small". Absent, it takes its default.
    const listed = await ivan.agent.get('/api/v1/audit?limit=&since=%20').expect(200);
    expect(listed.body).toEqual((await ivan.agent.get('/api/v1/audit').expect(200)).body);
    // A value that is there and wrong is still refused.
    await ivan.agent.get('/api/v1/audit?limit=abc').expect(400);
  });

  it('quotes CSV cells and defuses spreadsheet formulas', () => {
    expect(csvCell('Acme, Inc.')).toBe('"Acme, Inc."');
    expect(csvCell('say "hi"')).toBe('"say ""hi"""');
    expect(csvCell('=HYPERLINK("http://x")')).toBe(`"'=HYPERLINK(""http://x"")"`);
    expect(csvCell('-5')).toBe("'-5");
    expect(csvCell(null)).toBe('');
    expect(csvCell({ a: 1 })).toBe('"{""a"":1}"');
  });
});
