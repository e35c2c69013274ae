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
// It reads each file once, a chunk at a time: its last line (the signed head) back from the end
// of the file, then every line before it, in order. So its memory does not grow with the length
// of the export (or of the earlier one: of this export it keeps the one hash that the earlier head
// certifies). Do not change the files while it runs. Only to give the line number of a head that
// does not hold (or of a file cut short) does it count the file's lines, a read more.
//
// Output: "OK: …" on stdout and exit 0 when the export holds; else "BROKEN: FILE, line N: what is
// wrong" for the first broken line (FILE the export or the --previous one; an entry's line also
// gives its seq and id), exit 1; a usage error or a file that is not there on stderr, exit 2.

import { createHash, createPublicKey, verify } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { open } from 'node:fs/promises';

const HEAD_TYP = 'licensor-audit-head+jwt';
const NEWLINE = 0x0a; // "\n"
const CHUNK = 1024 * 1024; // bytes read at a time

class Broken extends Error {}

const sha256 = (text) => createHash('sha256').update(text, 'utf8').digest('base64url');

/** A line of a file, as every BROKEN line names it. */
const lineOf = (file, line) => `${file}, line ${line}`;

/** The line being read: named if a line of JSON is of no shape this script knows. */
let reading = null;

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

const isObject = (value) => typeof value === 'object' && value !== null && !Array.isArray(value);

/** A line's entry: its JSON, an object. */
function entryOf(text, where) {
  const entry = parseJson(text, where);
  if (!isObject(entry)) throw new Broken(`${where} is JSON but not an entry (an object)`);
  return entry;
}

/**
 * The head's claims, once its signature holds under a license key of the JWKS (`keys` from
 * `jwksFile`). What is wrong is said without the place: the caller adds it.
 */
function verifyHead(token, keys, jwksFile) {
  const parts = typeof token === 'string' ? token.split('.') : [];
  if (parts.length !== 3) throw new Broken('the head is not a compact JWS');
  const [headerPart, payloadPart, signaturePart] = parts;
  const header = parseJson(
    fromBase64url(headerPart, 'the head header').toString('utf8'),
    'the head header',
  );
  if (header?.alg !== 'EdDSA' || header.typ !== HEAD_TYP || typeof header.kid !== 'string') {
    throw new Broken(`the head is not an EdDSA ${HEAD_TYP} with a kid`);
  }
  const jwk = keys.find((key) => key?.kid === header.kid);
  if (jwk === undefined) {
    throw new Broken(
      `the head is signed by key ${header.kid}, which is not in the JWKS (${jwksFile})`,
    );
  }
  if (jwk.purpose !== undefined && jwk.purpose !== 'license') {
    throw new Broken(`key ${header.kid} is a ${jwk.purpose} key, not a license key`);
  }
  let key;
  try {
    key = createPublicKey({ key: { kty: jwk.kty, crv: jwk.crv, x: jwk.x }, format: 'jwk' });
  } catch {
    throw new Broken(`key ${header.kid} of the JWKS (${jwksFile}) is not an Ed25519 public key`);
  }
  const signed = Buffer.from(`${headerPart}.${payloadPart}`, 'ascii');
  if (!verify(null, signed, key, fromBase64url(signaturePart, 'the head signature'))) {
    throw new Broken(
      `the head's signature does not hold: the head was changed or not signed by ${header.kid}`,
    );
  }
  const claims = parseJson(
    fromBase64url(payloadPart, 'the head payload').toString('utf8'),
    'the head payload',
  );
  if (!isObject(claims)) throw new Broken("the head's payload is not a JSON object");
  if (claims.v !== 1)
    throw new Broken(`head format version ${claims.v} is not 1: use a newer verifier`);
  if (
    !Number.isInteger(claims.seq) ||
    typeof claims.hash !== 'string' ||
    !Number.isInteger(claims.legacy)
  ) {
    throw new Broken("the head's payload lacks seq, hash or legacy");
  }
  return { ...claims, kid: header.kid };
}

/** Reads `length` bytes of `handle` at `position` into the start of `buffer`. */
async function readAt(handle, buffer, length, position) {
  for (let done = 0; done < length; ) {
    const { bytesRead } = await handle.read(buffer, done, length - done, position + done);
    if (bytesRead === 0) throw new Broken('the file changed while it was read');
    done += bytesRead;
  }
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

/** How many "\n" `file` holds: its number of lines, when it ends with one. */
async function countNewlines(file) {
  let count = 0;
  await eachChunk(file, 0, Number.POSITIVE_INFINITY, (chunk) => {
    for (let nl = chunk.indexOf(NEWLINE); nl !== -1; nl = chunk.indexOf(NEWLINE, nl + 1)) count++;
  });
  return count;
}

/**
 * A line's text: its bytes as UTF-8 (a byte that is not UTF-8 reads as U+FFFD, for the JSON and
 * the hash alike, as when the whole file is read as text).
 */
const textOf = (bytes) => bytes.toString('utf8');

/**
 * The last line of `file` (without its "\n") and the byte it starts at, read back from the end
 * a chunk at a time: the signed head. Broken when the file does not end with a "\n".
 */
async function readLastLine(file) {
  const handle = await open(file, 'r');
  try {
    const { size } = await handle.stat();
    const buffer = Buffer.alloc(CHUNK);
    if (size > 0) await readAt(handle, buffer, 1, size - 1);
    if (size === 0 || buffer[0] !== NEWLINE)
      throw new Broken('the file does not end with a newline: it was cut short');
    const parts = []; // the line's bytes, last part first
    let start = 0;
    for (let end = size - 1; end > 0; ) {
      const from = Math.max(0, end - CHUNK);
      await readAt(handle, buffer, end - from, from);
      const read = buffer.subarray(0, end - from);
      const nl = read.lastIndexOf(NEWLINE);
      parts.push(Buffer.from(read.subarray(nl + 1)));
      if (nl !== -1) {
        start = from + nl + 1;
        break;
      }
      end = from;
    }
    return { text: textOf(Buffer.concat(parts.reverse())), start };
  } finally {
    await handle.close();
  }
}

/**
 * An export's signed head, from its last line, checked. Returns the head's claims and where the
 * head line starts. What is wrong is named by its line: the file's lines are counted for it.
 */
async function openExport(file, keys, jwksFile) {
  let last;
  try {
    last = await readLastLine(file);
    const line = parseJson(last.text, 'the last line');
    if (typeof line?.head !== 'string')
      throw new Broken('the last line is not {"head": …}: the export was cut short');
    return { file, head: verifyHead(line.head, keys, jwksFile), headStart: last.start };
  } catch (error) {
    // A TypeError: a head of JSON of a shape no check above foresaw.
    if (!(error instanceof Broken || error instanceof TypeError)) throw error;
    const what =
      error instanceof Broken ? error.message : `not a head of this format (${error.message})`;
    // The head is the line the last "\n" ends; a line cut short, the one after it.
    const newlines = await countNewlines(file);
    throw new Broken(`${lineOf(file, last === undefined ? newlines + 1 : newlines)}: ${what}`);
  }
}

/**
 * Reads an export's lines before the head (after openExport), in order, one at a time, and checks
 * them against the head. Returns the head's claims, its line number, the number of chained
 * entries and the hash and line of the entry `keepSeq` (undefined when the export has no such
 * entry).
 */
async function checkEntries({ file, head, headStart }, keepSeq) {
  // The chained entries are the lines after the first head.legacy ones (a negative legacy, never
  // signed by Licensor, takes that many lines from the end, as it always has: for it alone the
  // lines are counted first).
  const firstChained =
    head.legacy >= 0 ? head.legacy : Math.max(0, (await countNewlines(file)) - 1 + head.legacy);
  const legacy = createHash('sha256');
  let lines = 0;
  let prev = null;
  let last = null; // the last chained entry's name
  let kept;
  // Every line is an entry (a JSON object) before the chain is judged: the first line that is not
  // is named even after the chain broke on an earlier one. So the first break (an entry out of
  // place, looked for in the lines after it, or another) waits for the end of the file.
  let broken = null;
  let outOfPlace = null; // { name, expected }: the entry at `name` is not `expected`; where is it?
  await eachLine(file, 0, headStart, (bytes, i) => {
    lines = i + 1;
    const line = textOf(bytes);
    const where = lineOf(file, i + 1);
    reading = where;
    if (i < head.legacy) {
      if ('seq' in entryOf(line, where))
        throw new Broken(
          `${where}: the head counts ${head.legacy} entries before the chain, but this one is chained`,
        );
      legacy.update(`${line}\n`, 'utf8');
      return;
    }
    if (i < firstChained) return;
    const entry = entryOf(line, where);
    if (outOfPlace !== null && entry.seq === outOfPlace.expected) {
      // Where the entry that was expected at `outOfPlace.name` went.
      broken = new Broken(
        `${outOfPlace.name}: entry ${outOfPlace.expected} is on line ${i + 1}: entries were reordered`,
      );
      outOfPlace = null;
    }
    if (broken !== null || outOfPlace !== null) return;
    const expected = i - firstChained + 1;
    const name = `${where} (seq ${entry.seq}, ${entry.id})`;
    if (entry.seq !== expected) {
      outOfPlace = { name, expected };
      return;
    }
    if (entry.prev !== prev) {
      broken = new Broken(
        `${name}: "prev" is not the hash of the line before it: that line or this one was changed, inserted or deleted`,
      );
      return;
    }
    if (expected === 1) {
      const before = entry.details?.before;
      if (entry.action !== 'audit.anchor' || !isObject(before)) {
        broken = new Broken(`${name}: entry 1 is not the chain's anchor`);
        return;
      }
      if (before.entries !== head.legacy || before.digest !== legacy.digest('base64url')) {
        broken = new Broken(
          `${name}: the ${head.legacy} entries before the chain do not match the anchor (it recorded ${before.entries}): one of them was changed, deleted or added`,
        );
        return;
      }
    }
    prev = sha256(line);
    last = name;
    if (entry.seq === keepSeq) kept = { hash: prev, line: i + 1 };
  });
  const headLine = lines + 1;
  const atHead = `${lineOf(file, headLine)} (the head)`;
  reading = atHead;
  if (lines < head.legacy)
    throw new Broken(
      `${atHead}: the head counts ${head.legacy} entries before the chain, the file has fewer lines`,
    );
  if (outOfPlace !== null)
    throw new Broken(`${outOfPlace.name}: entry ${outOfPlace.expected} is missing: it was deleted`);
  if (broken !== null) throw broken;
  const chained = lines - firstChained;
  if (chained !== head.seq) {
    throw new Broken(
      `${atHead}: the signed head certifies ${head.seq} chained entries, the file has ${chained}: entries were deleted or added at the end`,
    );
  }
  if (prev !== head.hash) {
    throw new Broken(
      `${last ?? atHead}: the last entry's hash is not the one the signed head certifies: the last entry was changed`,
    );
  }
  return { head, headLine, kept, chained };
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
  const [exportFile, jwksFile] = files;
  try {
    const jwks = parseJson(readFileSync(jwksFile, 'utf8'), jwksFile);
    const keys = Array.isArray(jwks?.keys) ? jwks.keys : [];
    const current = await openExport(exportFile, keys, jwksFile);
    // The earlier export's head first: it names the one entry of this export to keep the hash of.
    // Whatever is wrong with the earlier export is reported only once this one holds.
    const earlier =
      previousFile === undefined
        ? undefined
        : await openExport(previousFile, keys, jwksFile).then(
            (opened) => ({ opened }),
            (error) => ({ error }),
          );
    const checked = await checkEntries(current, earlier?.opened?.head.seq);
    if (earlier !== undefined) {
      if (earlier.opened === undefined) throw earlier.error;
      const { head, headLine } = await checkEntries(earlier.opened);
      // Both chains hold, so the same hash at the earlier head's seq means the same entries up to
      // it, the anchor and the entries before the chain included: the earlier export's lines
      // begin this one.
      if (checked.kept?.hash !== head.hash) {
        const where =
          checked.kept === undefined
            ? `${lineOf(exportFile, checked.headLine)} (the head, seq ${checked.head.seq})`
            : `${lineOf(exportFile, checked.kept.line)} (seq ${head.seq})`;
        throw new Broken(
          `${where}: entry ${head.seq}, the head of ${previousFile} (line ${headLine}), is not in this export as it was: entries up to it were removed or rewritten since`,
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
    if (error instanceof TypeError && reading !== null) {
      // A line of JSON of a shape no check above foresaw (an entry: a head is named by
      // openExport): where it is and what it lacked, not a stack trace.
      process.stdout.write(
        `BROKEN: ${reading}: not an entry or head of this format (${error.message})\n`,
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
