// A seed-data worker thread (seed-pool.ts starts it from the built package): opens the license
// signing key once, then makes the chunks it is sent, one after another, and posts each back.

import { parentPort, workerData } from 'node:worker_threads';
import { signerFromKeyPair } from '@licensor/token';
import { loadKeyPair } from '../keys/load-keys.js';
import { type ChunkPlan, makeChunk } from './seed-chunk.js';
import type { SeedWorkerData, SeedWorkerReply } from './seed-pool.js';

const data = workerData as SeedWorkerData;
const port = parentPort!;
const signer = loadKeyPair(data.dataDir, data.key, 'license', data.passphrase).then(
  signerFromKeyPair,
);
let queue: Promise<void> = Promise.resolve();

port.on('message', (plan: ChunkPlan) => {
  queue = queue.then(async () => {
    let reply: SeedWorkerReply;
    try {
      reply = { ok: true, chunk: await makeChunk(plan, await signer) };
    } catch (error) {
      reply = { ok: false, chunk: plan.chunk, message: (error as Error).stack ?? String(error) };
    }
    port.postMessage(reply);
  });
});
