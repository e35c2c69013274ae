// Online checks against a verify service on a store, as the large-store bench and the check probe
// run them (#15.3): the service in a process of its own (packages/verify-service/bench/
// service-server.mjs, `licensor-verify serve` with the rate limits lifted), 10 keep-alive
// connections in a closed loop, each check distinct (fresh nonce) over the sample's active
// licenses. Each round gives the client's rate and p50/p99 beside what the service saw itself
// (its latency and its wait for the nonce store, from /metrics) and what the service's threads
// read and wrote (/proc/PID/task/TID/io: `rchar` is what SQLite asked the OS for, page-cache
// misses of its own cache, `read_bytes` what came from the disk; the main thread's also holds
// the requests' bytes).

import { fork } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { installationKeyOf } from '@licensor/issuer/seed';
import { openStore } from '@licensor/issuer/store';
import { newNonce, signCheck } from '@licensor/token';
import { closedLoad } from '../../bench/kit.mjs';
import {
  histogramDelta,
  scrapeHistograms,
} from '../../packages/verify-service/bench/server-histograms.mjs';

const here = dirname(fileURLToPath(import.meta.url));
const repo = resolve(here, '../..');
export const CHECK_CONNECTIONS = 10;
/** Tokens signed for each round: more than the fastest round answers. */
const TOKENS_PER_SECOND = 6_000;

/** The verify service on `dir`, in a child process; { child, url }. */
function startService(dir, { execArgv = [] } = {}) {
  const child = fork(join(repo, 'packages/verify-service/bench/service-server.mjs'), {
    env: { ...process.env, BENCH_DATA_DIR: dir },
    execArgv,
    stdio: ['ignore', 'ignore', 'inherit', 'ipc'],
  });
  return new Promise((ok, fail) => {
    child.once('exit', (code) => fail(new Error(`the verify service exited with ${code}`)));
    child.once('message', ({ url }) => ok({ child, url }));
  });
}

function stopService(child) {
  return new Promise((ok) => {
    child.removeAllListeners('exit');
    child.once('exit', ok);
    child.kill('SIGTERM');
  });
}

/** Makes distinct signed checks over the sample's first 100 active licenses: `make(count)`. */
async function checkSigner(dir, report) {
  const store = await openStore({ dataDir: dir });
  const licenses = [];
  try {
    for (const { licenseId, index } of report.sample.slice(0, 100)) {
      const license = await store.getLicense(licenseId);
      licenses.push({
        licenseId,
        revision: license.revision,
        key: installationKeyOf(report.seed, index),
      });
    }
  } finally {
    await store.close();
  }
  return (count) => {
    const iat = Math.floor(Date.now() / 1000);
    return Array.from({ length: count }, (_, i) => {
      const { licenseId, revision, key } = licenses[i % licenses.length];
      return signCheck(
        {
          v: 1,
          iat,
          nonce: newNonce(),
          lid: licenseId,
          rev: revision,
          sdk: '1.4.2',
          product: { name: 'CMS', version: '5.2.0' },
          usage: { credentialsInUse: 10 + (i % 7) },
        },
        key,
      );
    });
  };
}

/** Bytes each thread of process `pid` has read and written so far: { main, others } (Linux). */
export function threadIo(pid) {
  const sum = () => ({ rchar: 0, readBytes: 0, wchar: 0, syscr: 0 });
  const out = { main: sum(), others: sum() };
  try {
    for (const tid of readdirSync(`/proc/${pid}/task`)) {
      const text = readFileSync(`/proc/${pid}/task/${tid}/io`, 'utf8');
      const field = (name) => Number(new RegExp(`^${name}: (\\d+)$`, 'm').exec(text)?.[1] ?? 0);
      const into = Number(tid) === pid ? out.main : out.others;
      into.rchar += field('rchar');
      into.readBytes += field('read_bytes');
      into.wchar += field('wchar');
      into.syscr += field('syscr');
    }
  } catch {
    return null;
  }
  return out;
}

function ioDelta(after, before, requests) {
  if (!after || !before) return null;
  const per = (thread, key) =>
    Math.round(((after[thread][key] - before[thread][key]) / requests) * 10) / 10;
  return {
    // Per check: bytes SQLite (and, on the main thread, the sockets) read through the OS, the
    // bytes that came from the disk, and the bytes written (log frames, checkpoints).
    mainRcharPerCheck: per('main', 'rchar'),
    mainReadBytesPerCheck: per('main', 'readBytes'),
    othersRcharPerCheck: per('others', 'rchar'),
    othersReadBytesPerCheck: per('others', 'readBytes'),
    othersWcharPerCheck: per('others', 'wchar'),
    othersReadCallsPerCheck: per('others', 'syscr'),
  };
}

/** One round of `seconds` of checks on a running service: client and service figures. */
async function checkRound(service, make, seconds) {
  const tokens = make(Math.ceil(seconds * TOKENS_PER_SECOND));
  let t = 0;
  const next = () => {
    if (t >= tokens.length) throw new Error('the round ran out of signed checks');
    return {
      method: 'POST',
      path: '/v1/checks',
      headers: { 'content-type': 'application/jose' },
      body: tokens[t++],
    };
  };
  const histograms = await scrapeHistograms(service.url);
  const io = threadIo(service.child.pid);
  const client = await closedLoad(service.url, { connections: CHECK_CONNECTIONS, seconds, next });
  const server = histogramDelta(await scrapeHistograms(service.url), histograms);
  return {
    ...client,
    serverMeanMs: server.serverMs.mean,
    serverP99Ms: server.serverMs.p99,
    nonceStoreMeanMs: server.nonceStoreMs.mean,
    nonceStoreP99Ms: server.nonceStoreMs.p99,
    io: ioDelta(threadIo(service.child.pid), io, client.requests),
  };
}

/** The warm-up every service gets once before its first round (one second, not counted). */
async function warmService(service, make) {
  await checkRound(service, make, 1);
}

/**
 * Checks on several stores in alternating rounds (A, B, B, A, ...), every service running
 * throughout and warmed for a second first, so that a busier moment of the shared machine weighs
 * on all alike. `stores`: [{ dir, report }]; `started(service, i)` runs once a service is up
 * (before its warm-up), `beforeRound(i, round)` just before each round, `measured(result, i,
 * round)` after it. Returns each store's rounds, in order.
 */
export async function alternatingCheckRounds(
  stores,
  { rounds, seconds, started, beforeRound, measured },
) {
  const running = [];
  try {
    for (const [i, { dir, report }] of stores.entries()) {
      const make = await checkSigner(dir, report);
      const service = await startService(dir);
      running.push({ i, service, make, rounds: [] });
      await started?.(service, i);
      await warmService(service, make);
    }
    for (let round = 0; round < rounds; round += 1) {
      for (const one of round % 2 === 0 ? running : [...running].reverse()) {
        await beforeRound?.(one.i, round);
        const result = await checkRound(one.service, one.make, seconds);
        one.rounds.push(result);
        measured?.(result, one.i, round);
      }
    }
  } finally {
    for (const { service } of running) await stopService(service.child);
  }
  return running.map(({ rounds: list }) => list);
}
