// Contract: the audit log as a hash chain (issue #17.3), the same on both adapters. Two handles
// on one store stand for two processes (portal and CLI) writing at once; `rawAudit` stands for
// someone with write access to the database who edits, deletes or reorders entries.

import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { openIssuer } from '../../src/domain/open-issuer.js';
import type { Issuer } from '../../src/facade.js';
import type { AuditEvent } from '../../src/records.js';
import { auditEntryLine, legacyAuditLine, sha256Base64url } from '../../src/store/audit-chain.js';
import type { LicensorStore } from '../../src/store/ports.js';
import type { Adapter, StoreHandle } from '../support/adapters.js';
import { type RawAudit, rawAudit } from '../support/audit-raw.js';
import { frozenClock, T0, TestInstallation } from '../support/fixtures.js';

const VERIFIER = fileURLToPath(new URL('../../scripts/verify-audit-export.mjs', import.meta.url));
const run = promisify(execFile);

function event(n: number, actor = 'alice'): AuditEvent {
  return {
    id: `evt_contract${String(n).padStart(11, '0')}`,
    at: T0 + n,
    actor,
    action: 'license.note',
    subjectId: `lic_${n}`,
    transactionId: null,
    details: { n, nested: { b: [1, 'two', null], a: true }, empty: {} },
  };
}

/** Runs the standalone verifier; its exit status and what it printed. */
async function verifyExport(
  dir: string,
  lines: string[],
  jwks: unknown,
  previous?: string[],
): Promise<{ code: number; out: string }> {
  const file = join(dir, `export-${Math.random().toString(36).slice(2)}.jsonl`);
  writeFileSync(file, lines.join(''));
  writeFileSync(join(dir, 'jwks.json'), JSON.stringify(jwks));
  const args = [VERIFIER, file, join(dir, 'jwks.json')];
  if (previous !== undefined) {
    const earlier = join(dir, 'earlier.jsonl');
    writeFileSync(earlier, previous.join(''));
    args.push('--previous', earlier);
  }
  try {
    const { stdout } = await run(process.execPath, args);
    return { code: 0, out: stdout };
  } catch (error) {
    const failed = error as { code: number; stdout: string; stderr: string };
    return { code: failed.code, out: failed.stdout + failed.stderr };
  }
}

/** Every line the export gives; when it throws, the lines given before and the error. */
async function collect(
  exported: AsyncIterable<string>,
): Promise<{ lines: string[]; error: unknown }> {
  const lines: string[] = [];
  try {
    for await (const line of exported) lines.push(line);
  } catch (error) {
    return { lines, error };
  }
  return { lines, error: null };
}

async function exportLines(issuer: Issuer): Promise<string[]> {
  const { lines, error } = await collect(await issuer.audit.export());
  if (error !== null) throw error;
  return lines;
}

export function auditChainContract(adapter: Adapter): void {
  let handle: StoreHandle;
  let store: LicensorStore;
  let raw: RawAudit | null = null;
  const clock = frozenClock();

  beforeEach(async () => {
    clock.set(T0);
    handle = await adapter.create();
    store = await handle.open();
  });
  afterEach(async () => {
    await raw?.close();
    raw = null;
    await store.close();
    await adapter.cleanup();
  });

  const chain = () => store.listAuditChain(0, 10_000);
  const issuerOver = (s: LicensorStore): Promise<Issuer> =>
    openIssuer({ store: s, now: clock.now, passphrase: '' });

  it('appends from two processes at once form one chain without gaps, each event once', async () => {
    const other = await handle.open();
    try {
      await Promise.all(
        Array.from({ length: 24 }, (_, i) =>
          (i % 2 === 0 ? store : other).appendAuditEvent(event(i)),
        ),
      );
      // An append retried after a lost answer takes no second place.
      await other.appendAuditEvent(event(3));
    } finally {
      await other.close();
    }
    const entries = await chain();
    expect(entries.map((e) => e.seq)).toEqual(Array.from({ length: 25 }, (_, i) => i + 1));
    expect(entries[0]?.action).toBe('audit.anchor');
    expect(new Set(entries.slice(1).map((e) => e.id)).size).toBe(24);
    entries.forEach((entry, i) => {
      expect(entry.prev).toBe(i === 0 ? null : entries[i - 1]?.hash);
      expect(entry.hash).toBe(sha256Base64url(auditEntryLine(entry)));
    });
    const status = await (await issuerOver(store)).audit.verify();
    expect(status).toMatchObject({ ok: true, entries: 25, legacy: 0, broken: null });
    expect(status.head?.seq).toBe(25);
  });

  it('anchors the entries written before the chain, and names a later edit of one of them', async () => {
    raw = await rawAudit(handle);
    for (let i = 0; i < 3; i++) await raw.insertLegacy(event(100 + i, 'old'));
    const issuer = await issuerOver(store); // opening the issuer starts the chain
    await store.appendAuditEvent(event(1));
    const entries = await chain();
    expect(entries.map((e) => [e.seq, e.action])).toEqual([
      [1, 'audit.anchor'],
      [2, 'license.note'],
    ]);
    expect(entries[0]?.details).toMatchObject({ before: { entries: 3 } });
    expect(await issuer.audit.verify()).toMatchObject({ ok: true, entries: 2, legacy: 3 });

    await raw.editLegacy(event(101).id, { n: 'changed' });
    const status = await issuer.audit.verify();
    expect(status.ok).toBe(false);
    expect(status.broken).toMatchObject({ seq: 0, problem: 'anchor' });
    expect(status.broken?.message).toMatch(/before the chain do not match its anchor/);

    await raw.editLegacy(event(101).id, event(101).details);
    await raw.insertLegacy(event(103, 'old'));
    expect((await issuer.audit.verify()).broken).toMatchObject({ seq: 0, problem: 'anchor' });
  });

  it('an operator or a detail cut inside a surrogate pair, or a lone surrogate, leaves the chain whole', async () => {
    // 199 letters and an emoji: 201 UTF-16 units, which a cut at 200 units left a lone surrogate
    // of; likewise a reason cut at 1000.
    const operator = `${'a'.repeat(199)}\u{1F600}`;
    const issuer = await issuerOver(store);
    await issuer.init('alice');
    await issuer.keys.rotate('status', operator);
    const next = await issuer.keys.rotate('license', operator);
    await issuer.keys.revoke(next.kid, operator, `${'r'.repeat(999)}\u{1F600} and more`);
    // Through the issue writer (SQLite) or the commit (MongoDB).
    await issuer.issue(
      new TestInstallation().challenge(),
      { customerName: 'Acme', model: 'perpetual', credentials: 5 },
      `bob\ud83d`,
    );
    await store.appendAuditEvent({
      ...event(1, 'carol\udc00'),
      details: { text: 'x\ud800y', nested: { 'k\ud83d': ['\ude00', 1] } },
    });

    const status = await issuer.audit.verify();
    expect(status.broken).toBeNull();
    expect(status.ok).toBe(true);
    const entries = await chain();
    // 200 code points: kept whole.
    expect(entries.filter((e) => e.actor === operator)).toHaveLength(3);
    const revoke = entries.find((e) => e.action === 'key.revoke');
    expect(revoke?.details.reason).toBe(`${'r'.repeat(999)}\u{1F600}`);
    expect(entries.some((e) => e.actor === 'bob\ufffd')).toBe(true);
    const note = entries.find((e) => e.id === event(1).id);
    expect(note).toMatchObject({
      actor: 'carol\ufffd',
      details: { text: 'x\ufffdy', nested: { 'k\ufffd': ['\ufffd', 1] } },
    });
    const lines = await exportLines(issuer);
    expect(lines.length).toBeGreaterThan(entries.length);
  });

  describe('tampering', () => {
    let issuer: Issuer;
    beforeEach(async () => {
      issuer = await issuerOver(store);
      for (let i = 1; i <= 6; i++) await store.appendAuditEvent(event(i));
      raw = await rawAudit(handle);
    });

    it('an edited entry is named', async () => {
      await raw?.editDetails(4, { n: 'forged' });
      const status = await issuer.audit.verify();
      expect(status).toMatchObject({ ok: false, entries: 3 });
      expect(status.broken).toMatchObject({ seq: 4, id: event(3).id, problem: 'edited' });
    });

    it('an edited entry whose hash was recomputed is named by the entry after it', async () => {
      const [entry] = await store.listAuditChain(3, 1);
      const forged = { ...entry!, details: { n: 'forged' } };
      await raw?.editDetails(4, forged.details);
      await raw?.setHash(4, sha256Base64url(auditEntryLine(forged)));
      expect((await issuer.audit.verify()).broken).toMatchObject({ seq: 5, problem: 'link' });
    });

    it('a deleted entry is named', async () => {
      await raw?.remove(3);
      expect((await issuer.audit.verify()).broken).toMatchObject({ seq: 3, problem: 'missing' });
    });

    it('two entries put in each other\u2019s place are named', async () => {
      await raw?.swap(2, 5);
      expect((await issuer.audit.verify()).broken).toMatchObject({ seq: 2, problem: 'edited' });
    });

    it('refuses to export a broken chain and writes nothing', async () => {
      await issuer.init('alice');
      const before = await chain();
      await raw?.editDetails(4, { n: 'forged' });
      await expect(issuer.audit.export()).rejects.toMatchObject({
        code: 'ERR_AUDIT_CHAIN_BROKEN',
        broken: { seq: 4, problem: 'edited' },
      });
      expect((await chain()).map((e) => e.hash)).toEqual(before.map((e) => e.hash));
    });
  });

  describe('the export, checked by the standalone verifier', () => {
    let dir: string;
    let issuer: Issuer;
    let lines: string[];
    let jwks: unknown;
    beforeEach(async () => {
      dir = mkdtempSync(join(tmpdir(), 'licensor-audit-export-'));
      raw = await rawAudit(handle);
      await raw.insertLegacy(event(200, 'old'));
      await raw.insertLegacy(event(201, 'old'));
      issuer = await issuerOver(store);
      await issuer.init('alice'); // audited: key.create …
      for (let i = 1; i <= 4; i++) await store.appendAuditEvent(event(i));
      lines = await exportLines(issuer);
      jwks = await issuer.keys.exportJwks();
    });
    afterEach(() => rmSync(dir, { recursive: true, force: true }));

    it('holds as exported: every entry, the anchored ones first, under a signed head', async () => {
      const head = (await store.auditChainHead())!;
      expect(lines).toHaveLength(2 + head.seq + 1);
      expect(JSON.parse(lines[0]!)).toMatchObject({ id: event(200).id, actor: 'old' });
      expect(JSON.parse(lines[2]!)).toMatchObject({ seq: 1, action: 'audit.anchor', prev: null });
      const result = await verifyExport(dir, lines, jwks);
      expect(result).toMatchObject({ code: 0 });
      expect(result.out).toMatch(`OK: ${head.seq} chained entries`);
      expect(result.out).toMatch('and 2 before the chain');
    });

    it('gives the lines of the store as the format has them, the head certifying the last', async () => {
      // The expected file built from the store's own reads, independently of the export's walk.
      const legacy = await store.listLegacyAuditEvents(null, 10_000);
      const entries = await chain();
      const expected = [
        ...legacy.map((e) => `${legacyAuditLine(e)}\n`),
        ...entries.map((e) => `${auditEntryLine(e)}\n`),
      ];
      expect(lines.slice(0, -1)).toEqual(expected);
      const exported = await issuer.audit.export();
      expect(exported.lines).toBe(lines.length);
      expect(lines.at(-1)).toBe(`${JSON.stringify({ head: exported.head })}\n`);
      const claims = JSON.parse(
        Buffer.from(exported.head.split('.')[1]!, 'base64url').toString('utf8'),
      );
      const last = entries.at(-1)!;
      expect(claims).toEqual({
        v: 1,
        iat: Math.floor(T0 / 1000),
        seq: last.seq,
        hash: last.hash,
        legacy: 2,
      });
      expect(exported.claims).toEqual(claims);
      // Iterated again, the same bytes: each iteration reads the store again.
      expect((await collect(exported)).lines.join('')).toBe(lines.join(''));
    });

    it('leaves out entries appended after the head it signed; the file still holds', async () => {
      const exported = await issuer.audit.export();
      await store.appendAuditEvent(event(5));
      const { lines: streamed, error } = await collect(exported);
      expect(error).toBeNull();
      expect(streamed.join('')).toBe(lines.join(''));
      expect(await verifyExport(dir, streamed, jwks)).toMatchObject({ code: 0 });
    });

    it('an entry edited after the check and before its line is written cuts the export short', async () => {
      const exported = await issuer.audit.export();
      raw = raw as RawAudit;
      await raw.editDetails(3, { n: 'forged' });
      const { lines: written, error } = await collect(exported);
      expect(error).toMatchObject({
        code: 'ERR_AUDIT_CHAIN_BROKEN',
        broken: { seq: 3, problem: 'edited' },
      });
      expect((error as Error).message).toMatch(/cut short before its signed head/);
      // The lines before the edited one, and no head: the verifier refuses what was written.
      expect(written).toEqual(lines.slice(0, 2 + 2));
      const result = await verifyExport(dir, written, jwks);
      expect(result.code).toBe(1);
      expect(result.out).toMatch(/the export was cut short/);
    });

    it('the head entry rewritten with its hash between the passes gives no head line', async () => {
      const exported = await issuer.audit.export();
      const head = (await store.auditChainHead())!;
      const [entry] = await store.listAuditChain(head.seq - 1, 1);
      const forged = { ...entry!, details: { n: 'forged' } };
      raw = raw as RawAudit;
      await raw.editDetails(head.seq, forged.details);
      await raw.setHash(head.seq, sha256Base64url(auditEntryLine(forged)));
      expect(await issuer.audit.verify()).toMatchObject({ ok: true });
      const { lines: written, error } = await collect(exported);
      expect(error).toMatchObject({
        code: 'ERR_AUDIT_CHAIN_BROKEN',
        broken: { seq: head.seq, problem: 'edited' },
      });
      expect(written).toHaveLength(lines.length - 1);
      expect(written.some((line) => line.startsWith('{"head"'))).toBe(false);
      expect((await verifyExport(dir, written, jwks)).code).toBe(1);
    });

    it('an entry from before the chain edited between the passes cuts the export short', async () => {
      const exported = await issuer.audit.export();
      raw = raw as RawAudit;
      await raw.editLegacy(event(201).id, { n: 'changed' });
      const { lines: written, error } = await collect(exported);
      expect(error).toMatchObject({
        code: 'ERR_AUDIT_CHAIN_BROKEN',
        broken: { seq: 0, problem: 'anchor' },
      });
      expect(written).toHaveLength(2);
      expect((await verifyExport(dir, written, jwks)).code).toBe(1);
    });

    it('names an edited line', async () => {
      const tampered = [...lines];
      tampered[4] = tampered[4]!.replace('"actor":"alice"', '"actor":"mallory"');
      expect(tampered[4]).toMatch('mallory');
      const result = await verifyExport(dir, tampered, jwks);
      expect(result.code).toBe(1);
      expect(result.out).toMatch(
        /BROKEN: \S+export-\w+\.jsonl, line 6 \(seq 4, .*\): "prev" is not the hash/,
      );
    });

    it('names a deleted line', async () => {
      const tampered = lines.filter((_, i) => i !== 4);
      const result = await verifyExport(dir, tampered, jwks);
      expect(result.code).toBe(1);
      expect(result.out).toMatch(
        /BROKEN: \S+export-\w+\.jsonl, line 5 \(seq 4, .*\): entry 3 is missing/,
      );
    });

    it('names reordered lines', async () => {
      const tampered = [...lines];
      [tampered[4], tampered[5]] = [tampered[5]!, tampered[4]!];
      const result = await verifyExport(dir, tampered, jwks);
      expect(result.code).toBe(1);
      expect(result.out).toMatch(
        /BROKEN: \S+export-\w+\.jsonl, line 5 \(seq 4, .*\): entry 3 is on line 6: entries were reordered/,
      );
    });

    it('names an edited entry from before the chain', async () => {
      const tampered = [...lines];
      tampered[1] = tampered[1]!.replace('"actor":"old"', '"actor":"new"');
      const result = await verifyExport(dir, tampered, jwks);
      expect(result.code).toBe(1);
      expect(result.out).toMatch(
        /BROKEN: \S+export-\w+\.jsonl, line 3 \(seq 1, .*\): the 2 entries before the chain do not match the anchor/,
      );
    });

    it('refuses a cut-short export and a head not signed by a vendor license key', async () => {
      const cut = await verifyExport(dir, lines.slice(0, -2).concat(lines.slice(-1)), jwks);
      expect(cut).toMatchObject({ code: 1 });
      expect(cut.out).toMatch(/the signed head certifies \d+ chained entries, the file has \d+/);
      const otherIssuer = await issuerOver(await (await adapter.create()).open());
      await otherIssuer.init('eve');
      const foreign = await verifyExport(dir, lines, await otherIssuer.keys.exportJwks());
      expect(foreign).toMatchObject({ code: 1 });
      expect(foreign.out).toMatch(/which is not in the JWKS/);
      await otherIssuer.store.close();
    });

    it('a later export extends an earlier one; entries removed from the end since are named', async () => {
      await store.appendAuditEvent(event(5));
      const later = await exportLines(issuer);
      expect(await verifyExport(dir, later, jwks, lines)).toMatchObject({ code: 0 });
      // The newest entries removed from the store: the chain alone still holds, the earlier
      // signed head does not.
      raw = raw as RawAudit;
      const head = (await store.auditChainHead())!;
      await raw.remove(head.seq);
      await raw.remove(head.seq - 1);
      expect(await issuer.audit.verify()).toMatchObject({ ok: true });
      const truncated = await exportLines(issuer);
      const result = await verifyExport(dir, truncated, jwks, lines);
      expect(result.code).toBe(1);
      // Named at this export's head, with the earlier export and its head's line.
      expect(result.out).toMatch(
        /^BROKEN: \S+export-\w+\.jsonl, line \d+ \(the head, seq \d+\): entry \d+, the head of \S+earlier\.jsonl \(line \d+\), is not in this export as it was: entries up to it were removed or rewritten/,
      );
    });
  });
}
