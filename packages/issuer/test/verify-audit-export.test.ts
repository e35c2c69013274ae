// The standalone verifier (scripts/verify-audit-export.mjs) on exports made here, without a
// store: lines as the export writes them (audit-chain.ts), a head signed with a key of the test's
// own. It reads an export a chunk at a time; these pin what it says about a long export, lines
// that cross or exceed a chunk, the bytes around the lines ("\r", no final "\n", a BOM, bytes that
// are not UTF-8) and a broken line far into the file, each as the verifier that read the whole
// file at once said it (its messages, line numbers and exit codes), now with the file named: every
// BROKEN line names the file and the line, the --previous export's too.

import { execFile } from 'node:child_process';
import { generateKeyPairSync, sign } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AuditEvent } from '../src/records.js';
import { auditEntryLine, legacyAuditLine, sha256Base64url } from '../src/store/audit-chain.js';

const VERIFIER = fileURLToPath(new URL('../scripts/verify-audit-export.mjs', import.meta.url));
const KID = 'lk_verifier_test';
const LEGACY = 3;

const { privateKey, publicKey } = generateKeyPairSync('ed25519');
const jwks = { keys: [{ ...publicKey.export({ format: 'jwk' }), kid: KID, purpose: 'license' }] };

let dir: string;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'licensor-verify-export-'));
  writeFileSync(join(dir, 'jwks.json'), JSON.stringify(jwks));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function event(n: number, details: Record<string, unknown>): AuditEvent {
  return {
    id: `evt_verify${String(n).padStart(12, '0')}`,
    at: 1_760_000_000_000 + n,
    actor: n % 3 === 0 ? 'zoë' : 'alice',
    action: 'license.note',
    subjectId: `lic_${n}`,
    transactionId: null,
    details,
  };
}

function signedHead(claims: Record<string, unknown>): string {
  const part = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');
  const signing = `${part({ alg: 'EdDSA', typ: 'licensor-audit-head+jwt', kid: KID })}.${part(claims)}`;
  const signature = sign(null, Buffer.from(signing), privateKey).toString('base64url');
  return JSON.stringify({ head: `${signing}.${signature}` });
}

/**
 * The lines (without "\n") of an export of LEGACY entries before the chain and `count` chained
 * ones, the head last; `details(seq)` gives an entry's details.
 */
function exportLines(
  count: number,
  details: (seq: number) => Record<string, unknown> = (seq) => ({ n: seq, note: 'plain ✓' }),
): string[] {
  const legacy = Array.from({ length: LEGACY }, (_, i) =>
    legacyAuditLine(event(-1 - i, { old: i })),
  );
  const digest = sha256Base64url(legacy.map((line) => `${line}\n`).join(''));
  const lines = [...legacy];
  let prev: string | null = null;
  for (let seq = 1; seq <= count; seq++) {
    const anchor = { ...event(0, { before: { entries: LEGACY, digest } }), action: 'audit.anchor' };
    const line = auditEntryLine({ ...(seq === 1 ? anchor : event(seq, details(seq))), seq, prev });
    lines.push(line);
    prev = sha256Base64url(line);
  }
  lines.push(signedHead({ v: 1, iat: 1_760_000_000, seq: count, hash: prev, legacy: LEGACY }));
  return lines;
}

const file = (lines: string[], eol = '\n') => lines.map((line) => `${line}${eol}`).join('');

let written = 0;
/** Runs the verifier on `content` (and an earlier export's); exit status and what it printed. */
function verify(
  content: string | Buffer,
  previous?: string | Buffer,
): Promise<{ code: number; out: string; err: string; path: string; earlier: string }> {
  const path = join(dir, `export-${++written}.jsonl`);
  writeFileSync(path, content);
  const args = [VERIFIER, path, join(dir, 'jwks.json')];
  const earlier = join(dir, `earlier-${written}.jsonl`);
  if (previous !== undefined) {
    writeFileSync(earlier, previous);
    args.push('--previous', earlier);
  }
  return new Promise((resolve) => {
    execFile(process.execPath, args, { maxBuffer: 1 << 20 }, (error, stdout, stderr) => {
      const code = error === null ? 0 : (error as { code: number }).code;
      resolve({ code, out: stdout, err: stderr, path, earlier });
    });
  });
}

describe('verify-audit-export.mjs', () => {
  describe('a long export (20,000 entries, one of them longer than the chunk it reads)', () => {
    const COUNT = 20_000;
    const BIG = 12_345; // an entry of 3 MB: a line over several chunks of 1 MiB
    const details = (seq: number) =>
      seq === BIG ? { n: seq, blob: 'é'.repeat(1_500_000) } : { n: seq, note: 'plain ✓' };
    let lines: string[];
    beforeAll(() => {
      lines = exportLines(COUNT, details);
    });
    /** Line number of the entry `seq`. */
    const lineOf = (seq: number) => LEGACY + seq;

    it('holds, and extends an earlier export of its first entries', async () => {
      const result = await verify(file(lines));
      expect(result).toMatchObject({ code: 0, err: '' });
      expect(result.out).toMatch(
        `OK: ${COUNT} chained entries (seq 1..${COUNT}) and ${LEGACY} before the chain; head signed by ${KID} at 2025-10-09T08:53:20.000Z\n`,
      );
      const earlier = file(exportLines(15_000, details));
      const extended = await verify(file(lines), earlier);
      expect(extended.code).toBe(0);
      expect(extended.out).toMatch(/; it extends \S+earlier-\d+\.jsonl\n$/);
    });

    it('names an earlier export whose entries this one no longer holds as they were', async () => {
      // The log rewritten from entry 9,000 on and signed again: it holds on its own.
      const rewritten = exportLines(COUNT, (seq) => (seq >= 9_000 ? { n: -seq } : details(seq)));
      expect((await verify(file(rewritten))).code).toBe(0);
      const earlier = file(exportLines(15_000, details));
      const result = await verify(file(rewritten), earlier);
      expect(result.code).toBe(1);
      // Named at the entry of this export that differs, and the earlier head by file and line.
      expect(result.out).toBe(
        `BROKEN: ${result.path}, line ${lineOf(15_000)} (seq 15000): entry 15000, the head of ${result.earlier} (line ${lineOf(15_000) + 1}), is not in this export as it was: entries up to it were removed or rewritten since\n`,
      );
      // Entries removed from the end and the head signed again: named at this export's head.
      const cut = await verify(file(exportLines(14_999, details)), earlier);
      expect(cut.out).toBe(
        `BROKEN: ${cut.path}, line ${lineOf(14_999) + 1} (the head, seq 14999): entry 15000, the head of ${cut.earlier} (line ${lineOf(15_000) + 1}), is not in this export as it was: entries up to it were removed or rewritten since\n`,
      );
      // What is wrong with the earlier export itself is said once this export holds.
      const cutEarlier = earlier.slice(0, -1);
      const bothCut = await verify(file(rewritten).slice(0, -1), cutEarlier);
      expect(bothCut.out).toBe(
        `BROKEN: ${bothCut.path}, line ${lines.length}: the file does not end with a newline: it was cut short\n`,
      );
      const earlierCut = await verify(file(rewritten), cutEarlier);
      expect(earlierCut.out).toBe(
        `BROKEN: ${earlierCut.earlier}, line ${lineOf(15_000) + 1}: the file does not end with a newline: it was cut short\n`,
      );
    });

    it('names the --previous export and its line when the break is in that file', async () => {
      const earlierLines = exportLines(15_000, details);
      // A line rewritten in the earlier export: named by the line after it, in that file.
      const edited = [...earlierLines];
      edited[lineOf(7_000) - 1] = edited[lineOf(7_000) - 1]!.replace('"n":7000', '"n":1');
      const result = await verify(file(lines), file(edited));
      expect(result).toMatchObject({ code: 1, err: '' });
      expect(result.out).toBe(
        `BROKEN: ${result.earlier}, line ${lineOf(7_001)} (seq 7001, evt_verify000000007001): "prev" is not the hash of the line before it: that line or this one was changed, inserted or deleted\n`,
      );
      // A line of the earlier export that is not JSON, and one deleted from it.
      const cut = [...earlierLines];
      cut[lineOf(12_000) - 1] = cut[lineOf(12_000) - 1]!.slice(0, 40);
      const notJson = await verify(file(lines), file(cut));
      expect(notJson).toMatchObject({ code: 1, err: '' });
      expect(notJson.out).toBe(`BROKEN: ${notJson.earlier}, line ${lineOf(12_000)} is not JSON\n`);
      const deleted = await verify(
        file(lines),
        file(earlierLines.filter((_, i) => i !== lineOf(9_000) - 1)),
      );
      expect(deleted.out).toBe(
        `BROKEN: ${deleted.earlier}, line ${lineOf(9_000)} (seq 9001, evt_verify000000009001): entry 9000 is missing: it was deleted\n`,
      );
      // Its head changed: named by the head's line.
      const head = [...earlierLines];
      head[head.length - 1] = head.at(-1)!.replace(/"}$/, 'A"}');
      const forged = await verify(file(lines), file(head));
      expect(forged).toMatchObject({ code: 1, err: '' });
      expect(forged.out).toMatch(
        `BROKEN: ${forged.earlier}, line ${lineOf(15_000) + 1}: the head's signature does not hold`,
      );
      // This export holds: it is not named.
      for (const out of [result.out, notJson.out, deleted.out, forged.out]) {
        expect(out).not.toMatch(/export-\d+\.jsonl/);
      }
    });

    it('names a rewritten line in the middle by the line after it, and its seq', async () => {
      const tampered = [...lines];
      tampered[lineOf(10_000) - 1] = tampered[lineOf(10_000) - 1]!.replace('"n":10000', '"n":1');
      const result = await verify(file(tampered));
      expect(result.code).toBe(1);
      expect(result.out).toBe(
        `BROKEN: ${result.path}, line ${lineOf(10_001)} (seq 10001, evt_verify000000010001): "prev" is not the hash of the line before it: that line or this one was changed, inserted or deleted\n`,
      );
      // The entry over several chunks, rewritten.
      tampered[lineOf(10_000) - 1] = lines[lineOf(10_000) - 1]!;
      tampered[lineOf(BIG) - 1] = tampered[lineOf(BIG) - 1]!.replace('éé"', 'ée"');
      expect((await verify(file(tampered))).out).toMatch(
        `, line ${lineOf(BIG + 1)} (seq ${BIG + 1}, `,
      );
    });

    it('a line that is JSON but no entry (null, a number) is BROKEN, exit 1, not a stack trace', async () => {
      for (const odd of ['null', '42', '[]']) {
        const tampered = [...lines];
        tampered[lineOf(500) - 1] = odd;
        const result = await verify(file(tampered));
        expect(result).toMatchObject({ code: 1, err: '' });
        expect(result.out).toBe(
          `BROKEN: ${result.path}, line ${lineOf(500)} is JSON but not an entry (an object)\n`,
        );
      }
      // Before the chain too.
      const legacy = [...lines];
      legacy[1] = 'null';
      const result = await verify(file(legacy));
      expect(result.out).toBe(
        `BROKEN: ${result.path}, line 2 is JSON but not an entry (an object)\n`,
      );
    });

    it('names a line cut short in the middle, before any break of the chain earlier on', async () => {
      const tampered = [...lines];
      tampered[lineOf(15_000) - 1] = tampered[lineOf(15_000) - 1]!.slice(0, 50);
      const result = await verify(file(tampered));
      expect(result.out).toBe(`BROKEN: ${result.path}, line ${lineOf(15_000)} is not JSON\n`);
      // Every line is JSON before the chain is judged: an edit at entry 100 does not hide it.
      tampered[lineOf(100) - 1] = tampered[lineOf(100) - 1]!.replace('"n":100', '"n":7');
      const again = await verify(file(tampered));
      expect(again.out).toBe(`BROKEN: ${again.path}, line ${lineOf(15_000)} is not JSON\n`);
    });

    it('names deleted and reordered entries far apart', async () => {
      const deleted = await verify(file(lines.filter((_, i) => i !== lineOf(5_000) - 1)));
      expect(deleted.out).toBe(
        `BROKEN: ${deleted.path}, line ${lineOf(5_000)} (seq 5001, evt_verify000000005001): entry 5000 is missing: it was deleted\n`,
      );
      const swapped = [...lines];
      swapped[lineOf(10) - 1] = lines[lineOf(19_000) - 1]!;
      swapped[lineOf(19_000) - 1] = lines[lineOf(10) - 1]!;
      const reordered = await verify(file(swapped));
      expect(reordered.out).toBe(
        `BROKEN: ${reordered.path}, line ${lineOf(10)} (seq 19000, evt_verify000000019000): entry 10 is on line ${lineOf(19_000)}: entries were reordered\n`,
      );
    });

    it('names the end cut off: the last lines, or the head line short of its "\\n"', async () => {
      const text = file(lines);
      const noNewline = await verify(text.slice(0, -1));
      expect(noNewline.out).toBe(
        `BROKEN: ${noNewline.path}, line ${lines.length}: the file does not end with a newline: it was cut short\n`,
      );
      const withoutHead = await verify(file(lines.slice(0, -1)));
      expect(withoutHead.out).toBe(
        `BROKEN: ${withoutHead.path}, line ${lines.length - 1}: the last line is not {"head": …}: the export was cut short\n`,
      );
      const at = text.indexOf('\n', text.length / 2) - 10;
      const midLine = await verify(text.slice(0, at));
      const cutLine = text.slice(0, at).split('\n').length;
      expect(midLine.out).toBe(
        `BROKEN: ${midLine.path}, line ${cutLine}: the file does not end with a newline: it was cut short\n`,
      );
    });
  });

  describe('the bytes around the lines, as before', () => {
    const lines = exportLines(6, (seq) => ({ n: seq, text: seq === 4 ? 'a\uFFFDb' : 'ab' }));

    it('"\\r\\n" line ends: "\\r" is part of each line and of its hash', async () => {
      // The entries before the chain, hashed with their "\r", no longer match the anchor.
      const crlf = await verify(file(lines, '\r\n'));
      expect(crlf).toMatchObject({ code: 1, err: '' });
      expect(crlf.out).toBe(
        `BROKEN: ${crlf.path}, line ${LEGACY + 1} (seq 1, evt_verify000000000000): the ${LEGACY} entries before the chain do not match the anchor (it recorded ${LEGACY}): one of them was changed, deleted or added\n`,
      );
      // One chained line with "\r": the line after it is named.
      const one = [...lines];
      one[LEGACY + 2] = `${one[LEGACY + 2]}\r`;
      const oneResult = await verify(file(one));
      expect(oneResult.out).toMatch(
        `BROKEN: ${oneResult.path}, line ${LEGACY + 4} (seq 4, evt_verify000000000004): "prev" is not the hash`,
      );
      // On the last entry: the head's hash, named at that entry; on the head line alone: nothing
      // (JSON allows it).
      const last = [...lines];
      last[LEGACY + 5] = `${last[LEGACY + 5]}\r`;
      const lastResult = await verify(file(last));
      expect(lastResult.out).toBe(
        `BROKEN: ${lastResult.path}, line ${LEGACY + 6} (seq 6, evt_verify000000000006): the last entry's hash is not the one the signed head certifies: the last entry was changed\n`,
      );
      const head = [...lines];
      head[head.length - 1] = `${head.at(-1)}\r`;
      expect((await verify(file(head))).code).toBe(0);
    });

    it('no "\\n" after the head, and an empty file: cut short', async () => {
      const result = await verify(file(lines).slice(0, -1));
      expect(result).toMatchObject({ code: 1, err: '' });
      expect(result.out).toBe(
        `BROKEN: ${result.path}, line ${lines.length}: the file does not end with a newline: it was cut short\n`,
      );
      const empty = await verify('');
      expect(empty.out).toBe(
        `BROKEN: ${empty.path}, line 1: the file does not end with a newline: it was cut short\n`,
      );
      const newline = await verify('\n');
      expect(newline.out).toBe(`BROKEN: ${newline.path}, line 1: the last line is not JSON\n`);
    });

    it('a BOM makes the first line other than JSON', async () => {
      const result = await verify(`\uFEFF${file(lines)}`);
      expect(result).toMatchObject({
        code: 1,
        out: `BROKEN: ${result.path}, line 1 is not JSON\n`,
      });
    });

    it('bytes that are not UTF-8 read as U+FFFD, in the JSON and the hash alike', async () => {
      const bytes = Buffer.from(file(lines));
      const replacement = bytes.indexOf(Buffer.from('\uFFFD'));
      expect(replacement).toBeGreaterThan(0);
      // The U+FFFD written as one invalid byte: read as the same text, the same hash.
      const invalid = Buffer.concat([
        bytes.subarray(0, replacement),
        Buffer.from([0xff]),
        bytes.subarray(replacement + 3),
      ]);
      expect((await verify(invalid)).code).toBe(0);
      // An invalid byte in place of another character changes the line.
      const b = bytes.indexOf('"ab"');
      const changed = Buffer.from(bytes);
      changed[b + 1] = 0xff;
      expect((await verify(changed)).out).toMatch(
        /^BROKEN: \S+export-\d+\.jsonl, line \d+ \(seq \d, evt_verify\d+\): "prev" is not the hash/,
      );
    });

    it('usage, and a file that is not there', async () => {
      const missing = join(dir, 'missing.jsonl');
      const failed = await new Promise<{ code: number; err: string }>((resolve) => {
        execFile(process.execPath, [VERIFIER, missing, join(dir, 'jwks.json')], (error, _, err) =>
          resolve({ code: (error as { code: number }).code, err }),
        );
      });
      expect(failed).toEqual({
        code: 2,
        err: `error: ENOENT: no such file or directory, open '${missing}'\n`,
      });
      const usage = await new Promise<{ code: number; err: string }>((resolve) => {
        execFile(process.execPath, [VERIFIER, missing], (error, _, err) =>
          resolve({ code: (error as { code: number }).code, err }),
        );
      });
      expect(usage.code).toBe(2);
      expect(usage.err).toMatch(/^usage: node verify-audit-export\.mjs EXPORT\.jsonl JWKS\.json/);
    });
  });
});
