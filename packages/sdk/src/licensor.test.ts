import { describe, expect, it } from 'vitest';
import { admin, answer, setup, trust } from '../test/fixtures.js';
import { createLicensor } from './licensor.js';
import { MemoryStore } from './store/memory-store.js';

describe('createLicensor', () => {
  it('runs concurrent changes one after the other, so none is lost', async () => {
    const { licensor } = setup();
    const made = await Promise.all(
      Array.from({ length: 8 }, () => licensor.createChallenge(admin)),
    );
    const pending = await licensor.listPendingRequests(admin);
    expect(pending.map((request) => request.id).sort()).toEqual(
      made.map((result) => result.request.id).sort(),
    );
  });

  it('refuses trust that is not a JWKS, and a product without name and version', () => {
    const store = new MemoryStore();
    expect(() =>
      createLicensor({
        store,
        trust: { keys: 'none' } as never,
        product: { name: 'CMS', version: '1' },
      }),
    ).toThrow(expect.objectContaining({ code: 'ERR_TRUST_INVALID' }));
    expect(() => createLicensor({ store, trust, product: { name: '', version: '1' } })).toThrow(
      expect.objectContaining({ code: 'ERR_INPUT_INVALID' }),
    );
  });

  it('detects a license token edited in a plugged-in store', async () => {
    const { licensor, store } = setup();
    const { challenge } = await licensor.createChallenge(admin);
    await licensor.applyLicenseKey(admin, answer(challenge, { credentials: 10 }));
    const state = JSON.parse(store.rawState() ?? '{}');
    const other = setup();
    const { challenge: foreign } = await other.licensor.createChallenge(admin);
    state.license.token = answer(foreign, { credentials: 1000 });
    store.setRawState(JSON.stringify(state));
    await expect(licensor.capacity(0)).rejects.toMatchObject({ code: 'ERR_STATE_TAMPERED' });
  });

  it('detects a pending challenge that this installation did not make', async () => {
    const { licensor, store } = setup();
    await licensor.createChallenge(admin);
    const other = setup();
    const { challenge: foreign, request } = await other.licensor.createChallenge(admin);
    const state = JSON.parse(store.rawState() ?? '{}');
    state.pending.push({
      id: request.id,
      token: foreign,
      expiresAt: request.expiresAt,
      requestedBy: 'mallory',
    });
    store.setRawState(JSON.stringify(state));
    await expect(licensor.listPendingRequests(admin)).rejects.toMatchObject({
      code: 'ERR_STATE_TAMPERED',
    });
  });
});
