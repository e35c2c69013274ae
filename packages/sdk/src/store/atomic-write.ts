// Crash-safe file writes. The state file is replaced (temp file, fsync, rename, fsync of the
// directory), so after a power cut it is the old or the new document, never half of one. The key
// file is published with link(), which fails if a key already exists: a key is never replaced.
import { randomBytes } from 'node:crypto';
import { link, open, rename, rm } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';

function tempPathFor(path: string): string {
  return join(
    dirname(path),
    `.${basename(path)}.${process.pid}.${randomBytes(6).toString('hex')}.tmp`,
  );
}

async function writeTemp(tmp: string, data: string, mode: number): Promise<void> {
  const file = await open(tmp, 'wx', mode);
  try {
    await file.writeFile(data, 'utf8');
    await file.sync();
  } finally {
    await file.close();
  }
}

export async function fsyncDirectory(dir: string): Promise<void> {
  const handle = await open(dir, 'r');
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}

/** Replaces `path` with `data` atomically and durably. */
export async function replaceFileAtomic(path: string, data: string, mode: number): Promise<void> {
  const tmp = tempPathFor(path);
  try {
    await writeTemp(tmp, data, mode);
    await rename(tmp, path);
  } catch (error) {
    await rm(tmp, { force: true });
    throw error;
  }
  await fsyncDirectory(dirname(path));
}

/** Creates `path` with `data` atomically; throws EEXIST if it already exists. */
export async function createFileAtomic(path: string, data: string, mode: number): Promise<void> {
  const tmp = tempPathFor(path);
  try {
    await writeTemp(tmp, data, mode);
    await link(tmp, path);
  } finally {
    await rm(tmp, { force: true });
  }
  await fsyncDirectory(dirname(path));
}
