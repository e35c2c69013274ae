// The audit trail is a chain: an entry deleted, edited, moved or added by hand, and a trail cut
// short at its end, are named by verifyAudit (and `licensor audit --verify`).
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { admin, answer, FrozenClock, setup, viewer } from '../test/fixtures.js';
import { AUDIT_FILE, FileStore, KEY_FILE, STATE_FILE } from './store/file-store.js';

/** A state directory with a license and seven audit entries (one refused). */
async function auditedDir() {
  const dir = join(mkdtempSync(join(tmpdir(), 'licensor-audit-')), 'state');
  const clock = new FrozenClock();
  const { licensor } = setup({ store: new FileStore(dir), clock });
  const { challenge } = await licensor.createChallenge(admin);
  clock.advance(60);
  await licensor.applyLicenseKey(admin, answer(challenge, { credentials: 10 }));
  clock.advance(60);
  await licensor.getLicenseInfo(admin);
  await expect(licensor.createChallenge(viewer)).rejects.toMatchObject({
    code: 'ERR_NOT_AUTHORIZED',
  });
  await licensor.createChallenge(admin, { credentials: 20 });
  await licensor.listPendingRequests(admin);
  await licensor.getLicenseInfo(admin);
  const path = join(dir, AUDIT_FILE);
  return { dir, path, lines: () => readFileSync(path, 'utf8').trimEnd().split('\n') };
}

function fresh(dir: string) {
  return setup({ store: new FileStore(dir), clock: new FrozenClock() }).licensor;
}

describe('the audit chain', () => {
  it('holds for a trail written by the SDK, each entry carrying the state trusted time', async () => {
    const { dir, lines } = await auditedDir();
    expect(lines()).toHaveLength(7);
    const entries = lines().map((line) => JSON.parse(line));
    expect(entries[0].prev).toBeNull();
    for (let i = 1; i < entries.length; i++) expect(entries[i].prev).toBe(entries[i - 1].link);
    // The license's signed issue time is the trusted time from the apply on.
    expect(entries[2].trusted).toBeGreaterThan(0);
    const result = await fresh(dir).verifyAudit(admin);
    expect(result).toEqual({
      ok: true,
      entries: 7,
      unchained: 0,
      firstBroken: null,
      unanchored: 2,
      torn: [],
    });
  });

  it.each([
    ['a deleted entry', (lines: string[]) => lines.filter((_, i) => i !== 3), 4, /deleted/],
    [
      'an operator name changed',
      (lines: string[]) =>
        lines.map((line, i) =>
          i === 2 ? line.replace('"name":"Alice"', '"name":"Mallory"') : line,
        ),
      3,
      /edited/,
    ],
    [
      'an outcome changed from refused to ok',
      (lines: string[]) =>
        lines.map((line, i) =>
          i === 3 ? line.replace('"outcome":"refused"', '"outcome":"ok"') : line,
        ),
      4,
      /edited/,
    ],
    [
      'two entries swapped',
      (lines: string[]) => [lines[0], lines[2], lines[1], ...lines.slice(3)] as string[],
      2,
      /moved/,
    ],
    [
      'an entry added by hand',
      (lines: string[]) => {
        const forged = { ...JSON.parse(lines[1] as string), detail: 'forged' };
        return [...lines.slice(0, 2), JSON.stringify(forged), ...lines.slice(2)];
      },
      3,
      /edited/,
    ],
    [
      'an unchained entry appended',
      (lines: string[]) => {
        const { trusted: _t, prev: _p, link: _l, ...old } = JSON.parse(lines[6] as string);
        return [...lines, JSON.stringify(old)];
      },
      8,
      /added by hand/,
    ],
    ['an entry copied', (lines: string[]) => [...lines, lines[6] as string], 8, /deleted|copied/],
  ])('names the first broken entry for %s, and changes nothing', async (_, edit, entry, reason) => {
    const { dir, path, lines } = await auditedDir();
    const edited = `${edit(lines()).join('\n')}\n`;
    writeFileSync(path, edited);
    const state = readFileSync(join(dir, STATE_FILE), 'utf8');
    const result = await fresh(dir).verifyAudit(admin);
    expect(result.ok).toBe(false);
    expect(result.firstBroken).toEqual({ entry, reason: expect.stringMatching(reason) });
    // Verifying appends its own entry after the edited ones; nothing before it is rewritten.
    expect(readFileSync(path, 'utf8').startsWith(edited)).toBe(true);
    expect(readFileSync(join(dir, STATE_FILE), 'utf8')).toBe(state);
  });

  it('names a trail cut short at its end, up to the last change the state recorded', async () => {
    const { dir, path, lines } = await auditedDir();
    // Entries 5 to 7 (a change, then reads) are gone: the state recorded entry 5's link.
    writeFileSync(path, `${lines().slice(0, 4).join('\n')}\n`);
    const result = await fresh(dir).verifyAudit(admin);
    expect(result.ok).toBe(false);
    expect(result.firstBroken?.reason).toMatch(/deleted from its end/);
  });

  it('reads a trail of an SDK before the chain, and chains new entries after it', async () => {
    const { dir, path, lines } = await auditedDir();
    const old = lines().map((line) => {
      const { trusted: _t, prev: _p, link: _l, ...entry } = JSON.parse(line);
      return JSON.stringify(entry);
    });
    writeFileSync(path, `${old.join('\n')}\n`);
    // The state's anchor names a link that is gone with the old format: rewrite it as format 1.
    const state = JSON.parse(readFileSync(join(dir, STATE_FILE), 'utf8'));
    const { seal: _s, audit: _a, ...v1 } = state;
    writeFileSync(join(dir, STATE_FILE), JSON.stringify({ ...v1, v: 1 }));
    // And the key file as that SDK left it, without the mark of a sealed write.
    const { sealed: _m, ...key } = JSON.parse(readFileSync(join(dir, KEY_FILE), 'utf8'));
    writeFileSync(join(dir, KEY_FILE), JSON.stringify(key));
    const licensor = fresh(dir);
    await licensor.createChallenge(admin);
    const result = await licensor.verifyAudit(admin);
    expect(result).toMatchObject({ ok: true, entries: 8, unchained: 7, firstBroken: null });
    // An old entry edited afterwards breaks the first link, which covers them all.
    writeFileSync(path, readFileSync(path, 'utf8').replace('"name":"Alice"', '"name":"Eve"'));
    expect((await fresh(dir).verifyAudit(admin)).firstBroken).toMatchObject({ entry: 8 });
  });

  it('keeps one chain when two Licensor objects append to one store at once', async () => {
    const { dir } = await auditedDir();
    const a = fresh(dir);
    const b = fresh(dir);
    await Promise.all(
      Array.from({ length: 6 }, (_, i) => (i % 2 === 0 ? a : b).getLicenseInfo(admin)),
    );
    expect(await a.verifyAudit(admin)).toMatchObject({ ok: true, entries: 13 });
  });
});
