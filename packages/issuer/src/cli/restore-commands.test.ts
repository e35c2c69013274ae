// `forks after-restore` (not wired into the command table here: the handler, called as the CLI
// would call it once registered beside FORK_HANDLERS).
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { UsageError } from '@licensor/cli-kit';
import { afterEach, describe, expect, it } from 'vitest';
import { T0 } from '../../test/support/fixtures.js';
import { openIssuer } from '../domain/open-issuer.js';
import { stepChain } from '../store/check-chain.js';
import { openStore } from '../store/open-store.js';
import type { CommandRun } from './commands.js';
import { RESTORE_COMMANDS, RESTORE_HANDLERS, timeOf } from './restore-commands.js';

const dirs: string[] = [];
afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

async function setup() {
  const dataDir = mkdtempSync(join(tmpdir(), 'licensor-issuer-restore-'));
  dirs.push(dataDir);
  const store = await openStore({ dataDir });
  const issuer = await openIssuer({ store, now: () => T0 + 3_600_000, passphrase: '' });
  await issuer.init('alice');
  await stepChain(
    store.chains,
    {
      installationId: 'i'.repeat(43),
      licenseId: 'lic_restorecli00000000',
      presented: null,
      checkToken: 't',
      evidence: {
        at: T0,
        address: null,
        credentialsInUse: 1,
        sdkVersion: '0.2.0',
        presented: null,
      },
      now: T0,
    },
    'warn',
  );
  const run = (values: Record<string, string>) =>
    RESTORE_HANDLERS['forks after-restore']!({
      args: { kind: 'run', command: 'forks after-restore', positionals: [], values },
      issuer,
      operator: 'alice',
    } as unknown as CommandRun);
  return { store, issuer, run };
}

describe('licensor-issuer forks after-restore', () => {
  it('opens the window from --since for --hours, says how many installations, audited', async () => {
    const { store, issuer, run } = await setup();
    const since = new Date(T0 + 60_000).toISOString();
    const out = await run({ since, hours: '48', reason: 'disk failure' });
    expect(out.value).toMatchObject({ marked: 1, until: T0 + 3_600_000 + 48 * 3_600_000 });
    expect(out.text).toMatch(/^1 installation\(s\) checked last before 2026-01-15T09:01:00Z/);
    expect((await store.chains.getChainHead('i'.repeat(43)))?.restored).toMatchObject({
      openedBy: 'alice',
    });
    expect(await issuer.listAuditEvents({ action: 'chains.after-restore' })).toMatchObject([
      { details: { reason: 'disk failure' } },
    ]);
    await store.close();
  });

  it('refuses a --since without a zone, a missing one, and --hours out of bounds', async () => {
    const { store, run } = await setup();
    await expect(run({ since: '2026-01-15 09:00' })).rejects.toMatchObject({
      message: expect.stringMatching(/--since must be a date and time with its zone/),
    });
    await expect(run({})).rejects.toMatchObject({ message: '--since is required' });
    await expect(run({ since: '2026-01-15T09:00:00Z', hours: '721' })).rejects.toMatchObject({
      message: expect.stringMatching(/--hours must be a whole number from 1 to 720/),
    });
    expect(RESTORE_COMMANDS.map((command) => command.name)).toEqual(['forks after-restore']);
    await store.close();
  });

  it('refuses a date or time that does not exist (no roll-over), and opens no window, audits nothing', async () => {
    const { store, issuer, run } = await setup();
    for (const since of [
      '2026-02-30T00:00:00Z',
      '2025-02-29T00:00:00Z',
      '2026-04-31T12:00:00+02:00',
      '2026-01-15T24:00:00Z',
      '2026-01-15T09:60:00Z',
      '2026-01-15T09:00:60Z',
      '2026-01-15T09:00:00+24:00',
    ]) {
      await expect(run({ since })).rejects.toThrow(
        /^--since must be a date and time (that exists|with its zone)/,
      );
      expect(() => timeOf(since)).toThrow(UsageError);
    }
    expect((await store.chains.getChainHead('i'.repeat(43)))?.restored ?? null).toBeNull();
    expect(await issuer.listAuditEvents({ action: 'chains.after-restore' })).toEqual([]);
    // Leap days and zones that exist are taken.
    expect(timeOf('2028-02-29T23:30:00-05:00')).toBe(Date.parse('2028-03-01T04:30:00Z'));
    expect(timeOf('2026-01-15T09:00+05:30')).toBe(Date.parse('2026-01-15T03:30:00Z'));
    await store.close();
  });
});
