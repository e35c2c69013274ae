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
// It reads each file a chunk at a time, twice: first for its number of lines and its last line
// (the signed head), then for the entries in order. So its memory does not grow with the length
// of the export (or of the earlier one: of this export it keeps the one hash that the earlier
// head certifies). Do not change the files while it runs.
//
// Exit status: 0 the export holds, 1 it does not (the first broken line is named), 2 usage.

import { createHash, createPublicKey, verify } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { open } from 'node:fs/promises';

const HEAD_TYP = 'licensor-audit-head+jwt';
const NEWLINE = 0x0a; // "\n"
const CHUNK = 1024 * 1024; // bytes read at a time

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

/**
 * Calls `onChunk(bytes, at)` for each chunk of `file` from byte `start` to byte `end` (or to the
 * end of the file), in order; `at` is where the chunk starts in the file. It reads into one buffer
 * again and again, so that memory stays the same: `bytes` holds only until `onChunk` returns.
 */
async function eachChunk(file, start, end, onChunk) {
  const handle = await open(file, 'r');
  try {
    const buffer = Buffer.alloc(CHUNK);
    for (let at = start; at < end; ) {
      const { bytesRead } = await handle.read(buffer, 0, Math.min(CHUNK, end - at), at);
      if (bytesRead === 0) return;
      onChunk(buffer.subarray(0, bytesRead), at);
      at += bytesRead;
    }
  } finally {
    await handle.close();
  }
}

/**
 * Calls `onLine(bytes, index)` for each line of `file` from byte `start` to byte `end` (the byte
 * before `end` is a "\n"), in order: a line is its exact bytes, without the "\n" (they hold only
 * until `onLine` returns). A chunk of the file is in memory at a time, and the start of a line
 * that goes on in the next chunk.
 */
async function eachLine(file, start, end, onLine) {
  let index = 0;
  let begun = []; // copies of the bytes of a line that goes on in the next chunk
  await eachChunk(file, start, end, (chunk) => {
    let from = 0;
    for (let nl = chunk.indexOf(NEWLINE); nl !== -1; nl = chunk.indexOf(NEWLINE, from)) {
      const bytes = chunk.subarray(from, nl);
      onLine(begun.length === 0 ? bytes : Buffer.concat([...begun, bytes]), index++);
      begun = [];
      from = nl + 1;
    }
    if (from < chunk.length) begun.push(Buffer.from(chunk.subarray(from)));
  });
}

/**
 * A line's text: its bytes as UTF-8 (a byte that is not UTF-8 reads as U+FFFD, for the JSON and
 * the hash alike, as when the whole file is read as text).
 */
const textOf = (bytes) => bytes.toString('utf8');

/**
 * First read of an export: how many lines it has, and its last line, the signed head, checked.
 * Returns the head's claims, the number of lines before the head and where the head starts.
 */
async function openExport(file, jwks, where) {
  let size = 0;
  let lines = 0;
  let lastNewline = -1;
  let newlineBefore = -1; // the "\n" before the last one: the head line starts after it
  await eachChunk(file, 0, Number.POSITIVE_INFINITY, (chunk, at) => {
    for (let nl = chunk.indexOf(NEWLINE); nl !== -1; nl = chunk.indexOf(NEWLINE, nl + 1)) {
      lines++;
      newlineBefore = lastNewline;
      lastNewline = at + nl;
    }
    size = at + chunk.length;
  });
  if (size === 0 || lastNewline !== size - 1)
    throw new Broken(`${where}: the file does not end with a newline: it was cut short`);
  const headStart = newlineBefore + 1;
  let headLine = '';
  await eachLine(file, headStart, size, (bytes) => {
    headLine = textOf(bytes);
  });
  const last = parseJson(headLine, `${where}, last line`);
  if (typeof last?.head !== 'string')
    throw new Broken(`${where}: the last line is not {"head": …}: the export was cut short`);
  return { file, where, head: verifyHead(last.head, jwks, where), entries: lines - 1, headStart };
}

/**
 * Second read of an export (after openExport): every line before the head, in order, one at a
 * time. Returns the head's claims, the number of chained entries and the hash of the entry
 * `keepSeq` (undefined when the export has no such entry).
 */
async function checkEntries({ file, where, head, entries, headStart }, keepSeq) {
  if (entries < head.legacy)
    throw new Broken(
      `${where}: the head counts ${head.legacy} entries before the chain, the file has fewer lines`,
    );
  // The chained entries are the lines after the first head.legacy ones (a negative legacy, never
  // signed by Licensor, takes that many lines from the end, as it always has).
  const firstChained = head.legacy >= 0 ? head.legacy : Math.max(0, entries + head.legacy);
  const chained = entries - firstChained;
  const legacy = createHash('sha256');
  let prev = null;
  let kept;
  // Every line is JSON before the chain is judged: the first line that is not JSON is named even
  // after the chain broke on an earlier one. So the first break (an error, or an entry out of
  // place, looked for in the lines after it) waits for the end of the file.
  let broken = null;
  let outOfPlace = null; // { name, expected }: the entry at `name` is not `expected`; where is it?
  await eachLine(file, 0, headStart, (bytes, i) => {
    const line = textOf(bytes);
    if (i < head.legacy) {
      const entry = parseJson(line, `line ${i + 1}`);
      if ('seq' in entry)
        throw new Broken(
          `line ${i + 1}: the head counts ${head.legacy} entries before the chain, but this one is chained`,
        );
      legacy.update(`${line}\n`, 'utf8');
      return;
    }
    if (i < firstChained) return;
    const index = i - firstChained;
    const lineNo = head.legacy + index + 1;
    const entry = parseJson(line, `line ${lineNo}`);
    if (outOfPlace !== null) {
      // Where the entry that was expected at `outOfPlace.name` went (a line `null` throws here;
      // that error is the verdict).
      try {
        if (entry.seq === outOfPlace.expected) {
          broken = new Broken(
            `${outOfPlace.name}: entry ${outOfPlace.expected} is on line ${lineNo}: entries were reordered`,
          );
          outOfPlace = null;
        }
      } catch (error) {
        broken = error;
        outOfPlace = null;
      }
    }
    if (broken !== null || outOfPlace !== null) return;
    try {
      const expected = index + 1;
      const name = `line ${lineNo} (seq ${entry.seq}, ${entry.id})`;
      if (entry.seq !== expected) {
        outOfPlace = { name, expected };
        return;
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
        if (before.entries !== head.legacy || before.digest !== legacy.digest('base64url')) {
          throw new Broken(
            `${name}: the ${head.legacy} entries before the chain do not match the anchor (it recorded ${before.entries}): one of them was changed, deleted or added`,
          );
        }
      }
      prev = sha256(line);
      if (entry.seq === keepSeq) kept = prev;
    } catch (error) {
      broken = error;
    }
  });
  if (outOfPlace !== null)
    throw new Broken(`${outOfPlace.name}: entry ${outOfPlace.expected} is missing: it was deleted`);
  if (broken !== null) throw broken;
  if (chained !== head.seq) {
    throw new Broken(
      `${where}: the signed head certifies ${head.seq} chained entries, the file has ${chained}: entries were deleted or added at the end`,
    );
  }
  if (prev !== head.hash) {
    throw new Broken(
      `${where}: the last entry's hash is not the one the signed head certifies: the last entry was changed`,
    );
  }
  return { head, kept, chained };
}

async function main(argv) {
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
    const current = await openExport(files[0], jwks, files[0]);
    // The earlier export's head first: it names the one entry of this export to keep the hash of.
    // Whatever is wrong with the earlier export is reported only once this one holds.
    const earlier =
      previousFile === undefined
        ? undefined
        : await openExport(previousFile, jwks, previousFile).then(
            (opened) => ({ opened }),
            (error) => ({ error }),
          );
    const checked = await checkEntries(current, earlier?.opened?.head.seq);
    if (earlier !== undefined) {
      if (earlier.opened === undefined) throw earlier.error;
      const { head } = await checkEntries(earlier.opened);
      // Both chains hold, so the same hash at the earlier head's seq means the same entries up to
      // it, the anchor and the entries before the chain included: the earlier export's lines
      // begin this one.
      if (checked.kept !== head.hash) {
        throw new Broken(
          `entry ${head.seq}, the head of ${previousFile}, is not in this export as it was: entries up to it were removed or rewritten since`,
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
    if (error instanceof TypeError) {
      // A line that is JSON but not an object of this format (null, a number, a head without
      // its claims): what it lacked, not a stack trace.
      process.stdout.write(
        `BROKEN: the export holds a line that is not an entry or head of this format (${error.message})\n`,
      );
      return 1;
    }
    if (error?.code === 'ENOENT') {
      process.stderr.write(`error: ${error.message}\n`);
      return 2;
    }
    throw error;
  }
}

process.exitCode = await main(process.argv);
