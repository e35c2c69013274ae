// The audit chain's bytes, pinned against the code that wrote the stores in use (#15 review S6):
// golden.json holds what commit 3e9e5b3's audit-chain.ts (before the issue writer's line parts and
// the one-loop canonicalJson) made of the tricky inputs in audit-golden/cases.ts. The current
// canonicalJson, legacy lines, chained lines and hashes, and the line parts the SQLite issue
// writer assembles on its thread must give exactly those bytes: a line that differs by one byte
// gives another hash, and an existing store's chain would no longer verify.
//
// golden.json was made outside the repository, from the old code itself:
//   git show 3e9e5b3:packages/issuer/src/store/audit-chain.ts > old-audit-chain.ts
//   esbuild old-audit-chain.ts --format=esm --outfile=old-audit-chain.mjs (and cases.ts alike)
//   then for each case: canonicalJson, legacyAuditLine, auditEntryLineParts, and
//   chainAuditEvent + auditEntryLine over the events in order (from no head, and after GOLDEN_HEAD).
//
// One difference is deliberate: an entry's strings are now made well-formed before it is hashed
// and stored (a lone surrogate becomes U+FFFD). That commit hashed a lone surrogate as JSON's
// "\udXXX" escape while SQLite and BSON stored U+FFFD, so no stored entry holding one ever
// verified: the expected entry lines are golden.json's with those escapes as U+FFFD (and the
// hashes and links that follow from them); every other byte is still that commit's.

import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import type { AuditEvent } from '../src/records.js';
import {
  type AuditChainHead,
  AuditChainWalker,
  auditEntryLine,
  auditEntryLineParts,
  canonicalJson,
  chainAuditEvent,
  LegacyDigest,
  legacyAuditLine,
  sha256Base64url,
} from '../src/store/audit-chain.js';
import { GOLDEN_HEAD, goldenEvents, goldenValues } from './audit-golden/cases.js';

interface ChainedLine {
  id: string;
  seq: number;
  prev: string | null;
  line: string;
  hash: string;
}

const golden = JSON.parse(
  readFileSync(new URL('./audit-golden/golden.json', import.meta.url), 'utf8'),
) as {
  commit: string;
  values: { name: string; canonical: string }[];
  events: { id: string; legacyLine: string; before: string; after: string }[];
  chain: ChainedLine[];
  afterHead: ChainedLine[];
  store: ChainedLine[];
};

/** A lone surrogate's escape (after an even number of backslashes): JSON.stringify writes one so. */
const LONE_SURROGATE = /(?<!\\)((?:\\\\)*)\\ud[89a-f][0-9a-f]{2}/g;

/** A golden entry text with its lone surrogates U+FFFD. */
const wellFormedText = (text: string) => text.replace(LONE_SURROGATE, '$1\ufffd');

/**
 * A golden entry line as an entry is made now: unchanged, byte for byte, unless it holds a lone
 * surrogate; then with U+FFFD for it, canonical again (a member name that held one sorts anew).
 */
const lineNow = (line: string) => {
  const wellFormed = wellFormedText(line);
  return wellFormed === line ? line : canonicalJson(JSON.parse(wellFormed));
};

/** Where an entry's place in the chain sits in its line (audit-chain.ts). */
const PLACE = '"prev":null,"seq":0';

/** A golden chain as it is made now: lines well-formed, hashes and links following from them. */
function madeNow(lines: readonly ChainedLine[]): ChainedLine[] {
  const made: ChainedLine[] = [];
  let prev = lines[0]?.prev ?? null;
  for (const want of lines) {
    const line = lineNow(want.line).replace(
      `"prev":${JSON.stringify(want.prev)},"seq":${want.seq}`,
      `"prev":${JSON.stringify(prev)},"seq":${want.seq}`,
    );
    const hash = line === want.line ? want.hash : sha256Base64url(line);
    made.push({ ...want, prev, line, hash });
    prev = hash;
  }
  return made;
}

/** The line as the issue writer's thread assembles it around the chain's head. */
function assembled(event: AuditEvent, seq: number, prev: string | null): string {
  const { before, after } = auditEntryLineParts(event);
  return `${before}"prev":${JSON.stringify(prev)},"seq":${seq}${after}`;
}

describe('the audit lines of commit 3e9e5b3 (golden)', () => {
  it('holds every case, made at that commit', () => {
    expect(golden.commit).toBe('3e9e5b3a2499dd530dda5060b2aa8834287dadd4');
    expect(golden.values.map((v) => v.name)).toEqual(goldenValues().map((v) => v.name));
    expect(golden.events.map((e) => e.id)).toEqual(goldenEvents().map((e) => e.id));
    expect(golden.chain).toHaveLength(goldenEvents().length);
    expect(golden.afterHead).toHaveLength(goldenEvents().length);
  });

  it.each(goldenValues().map((c, i) => [c.name, c.value, i] as const))(
    'canonicalJson of %s gives the same bytes',
    (_, value, i) => {
      expect(canonicalJson(value)).toBe(golden.values[i]!.canonical);
    },
  );

  it.each(goldenEvents().map((e, i) => [e.id, e, i] as const))(
    'the legacy line and the line parts of %s give the same bytes',
    (_, event, i) => {
      const want = golden.events[i]!;
      expect(legacyAuditLine(event)).toBe(want.legacyLine);
      const { before, after } = auditEntryLineParts(event);
      const line = `${want.before}${PLACE}${want.after}`;
      if (lineNow(line) === line) {
        expect({ before, after }).toEqual({ before: want.before, after: want.after });
      } else {
        expect(`${before}${PLACE}${after}`).toBe(lineNow(line));
      }
    },
  );

  it.each([
    ['from an empty chain', null, () => madeNow(golden.chain)],
    ['after a head', GOLDEN_HEAD, () => madeNow(golden.afterHead)],
  ] as const)(
    'chains the events %s into the same lines and hashes, on both ways of making a line',
    (_, start, lines) => {
      let head: AuditChainHead | null = start;
      goldenEvents().forEach((event, i) => {
        const want = lines()[i]!;
        const chained = chainAuditEvent(event, head);
        expect({ seq: chained.seq, prev: chained.prev }).toEqual({
          seq: want.seq,
          prev: want.prev,
        });
        expect(auditEntryLine(chained)).toBe(want.line);
        expect(chained.hash).toBe(want.hash);
        // The issue writer's thread: the line around the head it reads, hashed there.
        const line = assembled(event, want.seq, want.prev);
        expect(line).toBe(want.line);
        expect(sha256Base64url(line)).toBe(want.hash);
        head = { seq: chained.seq, hash: chained.hash, at: chained.at };
      });
    },
  );

  it('differs from that commit only where a case holds a lone surrogate', () => {
    const changed = (lines: readonly ChainedLine[]) =>
      lines.filter((want) => wellFormedText(want.line) !== want.line).map((want) => want.id);
    expect(changed(golden.chain)).toEqual(['evt_tricky', 'evt_proto']);
    // The first such entry keeps its place and link; its line and hash are all that differ.
    const made = madeNow(golden.chain);
    const first = golden.chain.findIndex((want) => want.id === 'evt_tricky');
    expect(made.slice(0, first)).toEqual(golden.chain.slice(0, first));
    expect(made[first]!.line).toContain('"\ufffd"');
    expect(wellFormedText(made[first]!.line)).toBe(made[first]!.line);
  });

  it('verifies a store as that commit left it (legacy entries, its anchor, the chain), and finds one byte changed', () => {
    // The lines as that commit's export wrote them, each with its recorded hash.
    const walk = (lines: string[]) => {
      const walker = new AuditChainWalker();
      lines.forEach((line, i) => {
        const entry = JSON.parse(line) as AuditEvent & { seq: number; prev: string | null };
        walker.step({ ...entry, hash: golden.store[i]!.hash });
      });
      walker.finish(lines.length);
      // The entries written before the chain, as the store keeps them, against the anchor.
      const legacy = new LegacyDigest();
      for (const event of goldenEvents()) legacy.add(event);
      walker.checkLegacy(legacy.result());
      return walker.broken;
    };
    const lines = golden.store.map((c) => c.line);
    expect(lines[0]).toContain('"action":"audit.anchor"');
    expect(walk(lines)).toBeNull();
    // One byte of an entry's details changed: the walk stops there, as edited.
    const edited = [...lines];
    edited[2] = edited[2]!.replace('"bob"', '"bop"');
    expect(edited[2]).not.toBe(lines[2]);
    expect(walk(edited)).toMatchObject({ seq: 3, problem: 'edited' });
  });
});
