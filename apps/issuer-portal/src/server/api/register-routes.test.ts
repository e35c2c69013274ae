// Input validation as a person reads it: the field, and what it must be, not zod's own words.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { type Fixture, type LoggedIn, loginAs, makePortal } from '../../../test/helpers.js';

let fixture: Fixture;
let ivan: LoggedIn;
beforeEach(async () => {
  fixture = await makePortal();
  ivan = await loginAs(fixture, 'ivan');
});
afterEach(async () => {
  await fixture.close();
});

describe('a refused input', () => {
  it('names the field and what it must be, in plain words', async () => {
    const small = await ivan.agent.get('/api/v1/audit?limit=0').expect(400);
    expect(small.body.error).toMatchObject({
      code: 'ERR_REQUEST_INVALID',
      message: 'Invalid query.limit: must be at least 1',
      issues: [{ path: 'query.limit', message: 'must be at least 1' }],
    });
    const word = await ivan.agent.get('/api/v1/audit?limit=many').expect(400);
    expect(word.body.error.message).toBe('Invalid query.limit: must be a number');
    const part = await ivan.agent.get('/api/v1/audit?limit=1.5').expect(400);
    expect(part.body.error.message).toBe('Invalid query.limit: must be a whole number');
    const empty = await ivan.agent
      .post('/api/v1/challenges/inspect')
      .set('X-CSRF-Token', ivan.csrf)
      .send({ challenge: 1 })
      .expect(400);
    expect(empty.body.error.message).toBe('Invalid body.challenge: must be text');
  });
});
