import { describe, expect, it } from 'vitest';
import { admin, answer, setup, trust, viewer } from '../test/fixtures.js';
import { createLicensor } from './licensor.js';
import { MemoryStore } from './store/memory-store.js';
import type { Operator, OperatorAction } from './types.js';

describe('authorisation and audit', () => {
  it('by default lets only a system administrator get a challenge, apply and activate', async () => {
    const { licensor, store } = setup();
    await licensor.installationId();
    const before = store.rawState();
    await expect(licensor.createChallenge(viewer)).rejects.toMatchObject({
      code: 'ERR_NOT_AUTHORIZED',
    });
    await expect(licensor.applyLicenseKey(viewer, 'x')).rejects.toMatchObject({
      code: 'ERR_NOT_AUTHORIZED',
    });
    await expect(licensor.requestModelSwitch(viewer, 'subscription')).rejects.toMatchObject({
      code: 'ERR_NOT_AUTHORIZED',
    });
    expect(store.rawState()).toBe(before);
    await expect(licensor.getLicenseInfo(viewer)).resolves.toMatchObject({ state: 'none' });
    await expect(licensor.listPendingRequests(viewer)).resolves.toEqual([]);
  });

  it('asks the CMS hook, with the operator and the action', async () => {
    const asked: [string, OperatorAction][] = [];
    const licensor = createLicensor({
      store: new MemoryStore(),
      trust,
      product: { name: 'CMS', version: '1' },
      authorize: (operator, action) => {
        asked.push([operator.id, action]);
        return operator.roles.includes('license-manager');
      },
    });
    const manager: Operator = { id: 'carol', roles: ['license-manager'] };
    const { challenge } = await licensor.createChallenge(manager);
    await licensor.applyLicenseKey(manager, answer(challenge));
    await expect(licensor.getLicenseInfo(admin)).rejects.toMatchObject({
      code: 'ERR_NOT_AUTHORIZED',
    });
    expect(asked).toEqual([
      ['carol', 'challenge'],
      ['carol', 'apply'],
      ['alice', 'view'],
    ]);
  });

  it('refuses an operator without an id or roles', async () => {
    const { licensor } = setup();
    for (const operator of [{ id: '', roles: [] }, { id: 'x' }, null]) {
      await expect(licensor.getLicenseInfo(operator as unknown as Operator)).rejects.toMatchObject({
        code: 'ERR_OPERATOR_INVALID',
      });
    }
  });

  it('records every operation, allowed or refused, with operator, time, action and outcome', async () => {
    const { licensor, clock } = setup();
    const { challenge } = await licensor.createChallenge(admin);
    await expect(licensor.applyLicenseKey(viewer, answer(challenge))).rejects.toThrow();
    await expect(licensor.applyLicenseKey(admin, 'not a key')).rejects.toThrow();
    const applied = await licensor.applyLicenseKey(admin, answer(challenge));
    await licensor.getLicenseInfo(viewer);
    const trail = await licensor.listAudit(admin);
    expect(
      trail.map((entry) => [entry.operator.id, entry.action, entry.outcome, entry.code]),
    ).toEqual([
      ['alice', 'challenge', 'ok', null],
      ['bob', 'apply', 'refused', 'ERR_NOT_AUTHORIZED'],
      ['alice', 'apply', 'refused', 'ERR_JWS_MALFORMED'],
      ['alice', 'apply', 'ok', null],
      ['bob', 'view', 'ok', null],
    ]);
    expect(trail[3]).toMatchObject({
      at: clock.seconds,
      operator: { name: 'Alice', roles: ['system-administrator'] },
    });
    expect(trail[3]?.detail).toContain(applied.transactionId);
    expect(await licensor.listAudit(admin, { limit: 2 })).toHaveLength(2);
  });

  it('refuses an operator whose id or name is too long or holds control characters, recording it bounded and escaped', async () => {
    const { licensor, store } = setup();
    await licensor.getLicenseInfo(admin);
    const before = store.rawState();
    for (const operator of [
      { id: 'x', name: 'n'.repeat(1 << 20), roles: [] },
      { id: 'a\nb\u001b[31m', roles: ['system-administrator'] },
      { id: 'x', roles: ['r'.repeat(201)] },
      { id: 'x', roles: Array(101).fill('viewer') },
    ]) {
      await expect(licensor.getLicenseInfo(operator)).rejects.toMatchObject({
        code: 'ERR_OPERATOR_INVALID',
      });
    }
    expect(store.rawState()).toBe(before);
    const refused = (await licensor.listAudit(admin)).filter(
      (entry) => entry.outcome === 'refused',
    );
    expect(refused).toHaveLength(4);
    expect(refused[0]?.operator.name?.length).toBe(201);
    expect(refused[1]?.operator.id).toBe('a\\u000ab\\u001b[31m');
    expect(refused[3]?.operator.roles).toHaveLength(100);
    await expect(
      licensor.getLicenseInfo({ id: 'i'.repeat(200), name: 'Ünïcode ok', roles: ['operator'] }),
    ).resolves.toMatchObject({ state: 'none' });
  });
});
