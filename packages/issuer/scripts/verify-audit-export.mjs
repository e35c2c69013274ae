#!/usr/bin/env node
// Checks a Licensor audit log export without Licensor: Node.js 18+ and node:crypto only, so an
// auditor can read every line of it. Copy it anywhere; it depends on nothing else.
//
//   node verify-audit-export.mjs EXPORT.jsonl JWKS.json [--previous EARLIER-EXPORT.jsonl]
//
// EXPORT.jsonl  what `licensor-issuer audit export` (or the portal's Audit page) wrote
// JWKS.json     the vendor's public keys (`licensor-issuer keys export`), obtained from the
//               vendor by a channel you trust
// --previous    an export you received earlier: checks the log still holds what it certified
//               (entries removed from the end, or rewritten, since then are found this way)
//
// The format (docs/contracts.md, "The audit log export"): one JSON object per line.
//   - First the entries written before the chain existed (no "seq"), oldest first.
//   - Then the chained entries, "seq" 1, 2, …: each has "prev", the hash of the line before it
//     (null for seq 1). A line's hash is SHA-256 of its exact bytes (UTF-8, without the "\n"),
//     in base64url. Entry 1 is the anchor: details.before = { entries, digest }, the number of
//     entries before the chain and the SHA-256 (base64url) of their lines, each followed by "\n".
//   - Last, {"head": "<JWS>"}: EdDSA (Ed25519), typ "licensor-audit-head+jwt", kid = the vendor
//     license key that signed; payload { v: 1, iat, seq, hash, legacy }: the last entry's seq
//     and hash, and the number of entries before the chain.
//
// Exit status: 0 the export holds, 1 it does not (the first broken line is named), 2 usage.

import { createHash, createPublicKey, verify } from 'node:crypto';
import { readFileSync } from 'node:fs';

const HEAD_TYP = 'licensor-audit-head+jwt';

class Broken extends Error {}

const sha256 = (text) => createHash('sha256').update(text, 'utf8').digest('base64url');

function fromBase64url(text, what) {
  if (typeof text !== 'string' || !/^[A-Za-z0-9_-]*$/.test(text)) {
    throw new Broken(`${what} is not base64url`);
  }
  return Buffer.from(text, 'base64url');
}

function parseJson(text, what) {
  try {
    return JSON.parse(text);
  } catch {
    throw new Broken(`${what} is not JSON`);
  }
}

/** The head's claims, once its signature holds under a license key of the JWKS. */
function verifyHead(token, jwks, where) {
  const parts = typeof token === 'string' ? token.split('.') : [];
  if (parts.length !== 3) throw new Broken(`${where}: the head is not a compact JWS`);
  const [headerPart, payloadPart, signaturePart] = parts;
  const header = parseJson(
    fromBase64url(headerPart, 'the head header').toString('utf8'),
    'the head header',
  );
  if (header.alg !== 'EdDSA' || header.typ !== HEAD_TYP || typeof header.kid !== 'string') {
    throw new Broken(`${where}: the head is not an EdDSA ${HEAD_TYP} with a kid`);
  }
  const jwk = (jwks.keys ?? []).find((key) => key.kid === header.kid);
  if (jwk === undefined)
    throw new Broken(`${where}: the head is signed by key ${header.kid}, which is not in the JWKS`);
  if (jwk.purpose !== undefined && jwk.purpose !== 'license') {
    throw new Broken(`${where}: key ${header.kid} is a ${jwk.purpose} key, not a license key`);
  }
  const key = createPublicKey({ key: { kty: jwk.kty, crv: jwk.crv, x: jwk.x }, format: 'jwk' });
  const signed = Buffer.from(`${headerPart}.${payloadPart}`, 'ascii');
  if (!verify(null, signed, key, fromBase64url(signaturePart, 'the head signature'))) {
    throw new Broken(
      `${where}: the head's signature does not hold: the head was changed or not signed by ${header.kid}`,
    );
  }
  const claims = parseJson(
    fromBase64url(payloadPart, 'the head payload').toString('utf8'),
    'the head payload',
  );
  if (claims.v !== 1)
    throw new Broken(`${where}: head format version ${claims.v} is not 1: use a newer verifier`);
  if (
    !Number.isInteger(claims.seq) ||
    typeof claims.hash !== 'string' ||
    !Number.isInteger(claims.legacy)
  ) {
    throw new Broken(`${where}: the head's payload lacks seq, hash or legacy`);
  }
  return { ...claims, kid: header.kid };
}

function linesOf(text, where) {
  if (!text.endsWith('\n'))
    throw new Broken(`${where}: the file does not end with a newline: it was cut short`);
  return text.slice(0, -1).split('\n');
}

/** Checks one export; returns its head claims and each chained entry's hash by seq. */
function checkExport(text, jwks, where = 'the export') {
  const lines = linesOf(text, where);
  const last = parseJson(lines.pop() ?? '', `${where}, last line`);
  if (typeof last?.head !== 'string')
    throw new Broken(`${where}: the last line is not {"head": …}: the export was cut short`);
  const head = verifyHead(last.head, jwks, where);
  if (lines.length < head.legacy)
    throw new Broken(
      `${where}: the head counts ${head.legacy} entries before the chain, the file has fewer lines`,
    );
  const legacy = createHash('sha256');
  for (let i = 0; i < head.legacy; i++) {
    const entry = parseJson(lines[i], `line ${i + 1}`);
    if ('seq' in entry)
      throw new Broken(
        `line ${i + 1}: the head counts ${head.legacy} entries before the chain, but this one is chained`,
      );
    legacy.update(`${lines[i]}\n`, 'utf8');
  }
  const legacyDigest = legacy.digest('base64url');
  const chained = lines.slice(head.legacy).map((line, index) => ({
    lineNo: head.legacy + index + 1,
    line,
    entry: parseJson(line, `line ${head.legacy + index + 1}`),
  }));
  const hashes = new Map();
  let prev = null;
  chained.forEach(({ lineNo, line, entry }, index) => {
    const expected = index + 1;
    const name = `line ${lineNo} (seq ${entry.seq}, ${entry.id})`;
    if (entry.seq !== expected) {
      const elsewhere = chained.find((other) => other.entry.seq === expected);
      throw new Broken(
        elsewhere === undefined
          ? `${name}: entry ${expected} is missing: it was deleted`
          : `${name}: entry ${expected} is on line ${elsewhere.lineNo}: entries were reordered`,
      );
    }
    if (entry.prev !== prev) {
      throw new Broken(
        `${name}: "prev" is not the hash of the line before it: that line or this one was changed, inserted or deleted`,
      );
    }
    if (expected === 1) {
      const before = entry.details?.before;
      if (entry.action !== 'audit.anchor' || before === undefined)
        throw new Broken(`${name}: entry 1 is not the chain's anchor`);
      if (before.entries !== head.legacy || before.digest !== legacyDigest) {
        throw new Broken(
          `${name}: the ${head.legacy} entries before the chain do not match the anchor (it recorded ${before.entries}): one of them was changed, deleted or added`,
        );
      }
    }
    prev = sha256(line);
    hashes.set(entry.seq, prev);
  });
  if (chained.length !== head.seq) {
    throw new Broken(
      `${where}: the signed head certifies ${head.seq} chained entries, the file has ${chained.length}: entries were deleted or added at the end`,
    );
  }
  if (prev !== head.hash) {
    throw new Broken(
      `${where}: the last entry's hash is not the one the signed head certifies: the last entry was changed`,
    );
  }
  return { head, hashes, chained: chained.length };
}

function main(argv) {
  const args = argv.slice(2);
  const previousAt = args.indexOf('--previous');
  const previousFile = previousAt === -1 ? undefined : args[previousAt + 1];
  const files =
    previousAt === -1 ? args : args.filter((_, i) => i !== previousAt && i !== previousAt + 1);
  if (files.length !== 2 || (previousAt !== -1 && previousFile === undefined)) {
    process.stderr.write(
      'usage: node verify-audit-export.mjs EXPORT.jsonl JWKS.json [--previous EARLIER-EXPORT.jsonl]\n',
    );
    return 2;
  }
  try {
    const jwks = parseJson(readFileSync(files[1], 'utf8'), files[1]);
    const checked = checkExport(readFileSync(files[0], 'utf8'), jwks, files[0]);
    if (previousFile !== undefined) {
      const earlier = checkExport(readFileSync(previousFile, 'utf8'), jwks, previousFile);
      if (checked.hashes.get(earlier.head.seq) !== earlier.head.hash) {
        throw new Broken(
          `entry ${earlier.head.seq}, the head of ${previousFile}, is not in this export as it was: entries up to it were removed or rewritten since`,
        );
      }
    }
    const { head } = checked;
    process.stdout.write(
      `OK: ${head.seq} chained entries (seq 1..${head.seq}) and ${head.legacy} before the chain; head signed by ${head.kid} at ${new Date(head.iat * 1000).toISOString()}${previousFile === undefined ? '' : `; it extends ${previousFile}`}\n`,
    );
    return 0;
  } catch (error) {
    if (error instanceof Broken) {
      process.stdout.write(`BROKEN: ${error.message}\n`);
      return 1;
    }
    if (error?.code === 'ENOENT') {
      process.stderr.write(`error: ${error.message}\n`);
      return 2;
    }
    throw error;
  }
}

process.exitCode = main(process.argv);
