// Seed data on every core: worker threads make the chunks (key derivation, signing, the
// transactions), the caller's thread writes them to the store (a store has one writer) in chunk
// order. Each worker holds up to two chunks so that it never waits for the writer to hand it
// the next; made chunks wait in order for the writer, a bounded number at a time.

import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import type { JwsSigner } from '@licensor/token';
import type { StoredPrivateKey } from '../store/ports.js';
import { type Chunk, type ChunkPlan, makeChunk } from './seed-chunk.js';

export interface SeedWorkerData {
  dataDir: string;
  key: StoredPrivateKey;
  passphrase: string | undefined;
}

export type SeedWorkerReply =
  | { ok: true; chunk: Chunk }
  | { ok: false; chunk: number; message: string };

/**
 * The worker's file: beside this module in the built package; when the sources run (vitest),
 * the package's build (turbo builds it before the tests).
 */
function workerFile(): string {
  const here = import.meta.url;
  const candidates = [
    new URL(here.endsWith('.cjs') ? './seed-worker.cjs' : './seed-worker.js', here),
    new URL('../../dist/seed-worker.js', here),
  ];
  for (const candidate of candidates) {
    const file = fileURLToPath(candidate);
    if (existsSync(file) && !file.endsWith('.ts')) return file;
  }
  throw new Error(
    'seed data: the worker thread is not built (packages/issuer/dist/seed-worker.js): run `pnpm turbo run build --filter=@licensor/issuer`, or seed with workers: 0',
  );
}

/** Where the workers open the signing key; null when it cannot leave this thread (an HSM). */
export function workerKey(
  dataDir: string,
  key: StoredPrivateKey,
  passphrase: string | undefined,
): SeedWorkerData | null {
  return key.protection === 'pkcs11' ? null : { dataDir, key, passphrase };
}

/**
 * The chunks of `plans`, in order: made by `workers` threads, or in this thread when there are
 * none (or the key is in an HSM).
 */
export async function* madeChunks(
  plans: ChunkPlan[],
  signing: JwsSigner,
  workers: number,
  data: SeedWorkerData | null,
): AsyncGenerator<Chunk> {
  if (workers <= 0 || data === null || plans.length === 0) {
    for (const plan of plans) yield await makeChunk(plan, signing);
    return;
  }
  const file = workerFile();
  const count = Math.min(workers, plans.length);
  const threads: Worker[] = [];
  const made = new Map<number, Chunk>();
  const held = new Map<Worker, number>();
  let failure: Error | null = null;
  let wake: (() => void) | null = null;
  let next = 0;
  let wanted = 0;
  const notify = () => {
    const resolve = wake;
    wake = null;
    resolve?.();
  };
  const dispatch = (worker: Worker) => {
    // At most two chunks per worker, and a bounded number made ahead of the writer.
    while (
      (held.get(worker) ?? 0) < 2 &&
      next < plans.length &&
      next - wanted < 3 * count &&
      failure === null
    ) {
      worker.postMessage(plans[next]);
      held.set(worker, (held.get(worker) ?? 0) + 1);
      next += 1;
    }
  };
  try {
    for (let i = 0; i < count; i += 1) {
      const worker = new Worker(file, { workerData: data });
      threads.push(worker);
      worker.on('message', (reply: SeedWorkerReply) => {
        held.set(worker, (held.get(worker) ?? 1) - 1);
        if (reply.ok) made.set(reply.chunk.chunk, reply.chunk);
        else failure ??= new Error(`seed data: chunk ${reply.chunk} failed: ${reply.message}`);
        dispatch(worker);
        notify();
      });
      worker.on('error', (error) => {
        failure ??= error;
        notify();
      });
      worker.on('exit', (code) => {
        if (code !== 0) failure ??= new Error(`seed data: a worker thread exited with ${code}`);
        notify();
      });
      dispatch(worker);
    }
    for (wanted = 0; wanted < plans.length; wanted += 1) {
      while (!made.has(wanted)) {
        if (failure !== null) throw failure;
        await new Promise<void>((resolve) => {
          wake = resolve;
        });
      }
      if (failure !== null) throw failure;
      const chunk = made.get(wanted)!;
      made.delete(wanted);
      for (const worker of threads) dispatch(worker);
      yield chunk;
    }
  } finally {
    failure ??= new Error('seed data: stopped');
    await Promise.all(threads.map((worker) => worker.terminate()));
  }
}
