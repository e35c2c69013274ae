// The default store: one directory holding installation-key.json (mode 0600; it also carries
// `sealed: true` once a sealed state was written, see saveSealMark), state.json
// (replaced atomically) and audit.jsonl (appended, fsynced). A file that is unreadable, corrupt
// or not ours is a typed error that says what to do; nothing is ever silently reset.
import { mkdir, open, readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { MAX_VERIFY_TIMEOUT_MS } from '../context.js';
import { KeyFileInsecureError, StateCorruptError, StateForeignError } from '../errors.js';
import type { AuditEntry, OperatorAction } from '../types.js';
import { createFileAtomic, replaceFileAtomic } from './atomic-write.js';
import { parseAuditEntry } from './audit-entry.js';
import { fileError } from './file-error.js';
import { withFileLock } from './file-lock.js';
import type { LicensorStore, StateDocument } from './store.js';

export { fileError };

const KEY_FORMAT = 'licensor-installation-key';
export const KEY_FILE = 'installation-key.json';
export const STATE_FILE = 'state.json';
export const AUDIT_FILE = 'audit.jsonl';
export const LOCK_FILE = 'state.lock';
export const VERIFY_LOCK_FILE = 'verify.lock';

const READ_ACTIONS: ReadonlySet<OperatorAction> = new Set(['view', 'requests', 'audit']);

function isMissing(error: unknown): boolean {
  return (error as NodeJS.ErrnoException | null)?.code === 'ENOENT';
}

/** Runs a file system step, turning its errors into a typed error naming `path`. */
async function onFile<T>(path: string, doing: string, step: () => Promise<T>): Promise<T> {
  try {
    return await step();
  } catch (error) {
    throw fileError(path, doing, error);
  }
}

async function readIfPresent(path: string): Promise<string | null> {
  try {
    return await readFile(path, 'utf8');
  } catch (error) {
    if (isMissing(error)) return null;
    throw fileError(path, 'read', error);
  }
}

export interface FileStoreOptions {
  /** How long a change waits for another process holding the state (ms, default 10 000). */
  lockTimeoutMs?: number;
  /**
   * How long a Verify License waits for another process's one (ms; default
   * verifyLockTimeoutMs(lockTimeoutMs): the longest check plus two state-lock waits).
   */
  verifyLockTimeoutMs?: number;
}

/**
 * How long a Verify License waits for another process's one to finish: the longest check
 * (MAX_VERIFY_TIMEOUT_MS) plus two waits for the state lock, to read and to record.
 */
export function verifyLockTimeoutMs(lockTimeoutMs: number): number {
  return MAX_VERIFY_TIMEOUT_MS + 2 * lockTimeoutMs;
}

export class FileStore implements LicensorStore {
  readonly dir: string;
  readonly #lockTimeoutMs: number;
  readonly #verifyLockTimeoutMs: number;
  #sealMarked = false;

  constructor(dir: string, options: FileStoreOptions = {}) {
    this.dir = dir;
    this.#lockTimeoutMs = options.lockTimeoutMs ?? 10_000;
    this.#verifyLockTimeoutMs =
      options.verifyLockTimeoutMs ?? verifyLockTimeoutMs(this.#lockTimeoutMs);
  }

  get keyPath(): string {
    return join(this.dir, KEY_FILE);
  }

  get statePath(): string {
    return join(this.dir, STATE_FILE);
  }

  get auditPath(): string {
    return join(this.dir, AUDIT_FILE);
  }

  async #makeDir(): Promise<void> {
    await onFile(this.dir, 'create the directory', () =>
      mkdir(this.dir, { recursive: true, mode: 0o700 }),
    );
  }

  async exclusive<T>(work: () => Promise<T>): Promise<T> {
    await this.#makeDir();
    return withFileLock(
      join(this.dir, LOCK_FILE),
      { timeoutMs: this.#lockTimeoutMs, retryMs: 25, activity: 'changing the license state' },
      work,
    );
  }

  /**
   * One Verify License at a time on this directory (verify.lock), apart from state.lock: the
   * state lock is taken only to record the answer, so reads and changes of other processes do
   * not wait for the verify service.
   */
  async exclusiveVerify<T>(work: () => Promise<T>): Promise<T> {
    await this.#makeDir();
    return withFileLock(
      join(this.dir, VERIFY_LOCK_FILE),
      {
        timeoutMs: this.#verifyLockTimeoutMs,
        retryMs: 25,
        activity: 'running Verify License on this installation',
      },
      work,
    );
  }

  async loadInstallationKey(): Promise<Uint8Array | null> {
    const text = await readIfPresent(this.keyPath);
    if (text === null) return null;
    if (process.platform !== 'win32') {
      const { mode } = await onFile(this.keyPath, 'inspect', () => stat(this.keyPath));
      if ((mode & 0o077) !== 0) {
        throw new KeyFileInsecureError(
          `${this.keyPath} is readable by other users (mode ${(mode & 0o777).toString(8)}). Run: chmod 600 ${this.keyPath}`,
        );
      }
    }
    return parseKeyFile(text, this.keyPath);
  }

  async saveInstallationKey(seed: Uint8Array): Promise<void> {
    await this.#makeDir();
    const document = { format: KEY_FORMAT, v: 1, seed: Buffer.from(seed).toString('base64url') };
    try {
      await createFileAtomic(this.keyPath, `${JSON.stringify(document)}\n`, 0o600);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'EEXIST') {
        throw new StateForeignError(
          `${this.keyPath} already exists; refusing to replace an installation key.`,
        );
      }
      throw fileError(this.keyPath, 'create', error);
    }
  }

  /**
   * Marks the key file (rewritten atomically, seed unchanged, mode 0600): this installation
   * writes sealed states, so a state.json without a seal is an edit. Read once per object.
   */
  async saveSealMark(): Promise<void> {
    if (this.#sealMarked) return;
    const text = await readIfPresent(this.keyPath);
    if (text === null) return;
    const seed = parseKeyFile(text, this.keyPath);
    if ((JSON.parse(text) as Record<string, unknown>).sealed !== true) {
      const document = {
        format: KEY_FORMAT,
        v: 1,
        seed: Buffer.from(seed).toString('base64url'),
        sealed: true,
      };
      await onFile(this.keyPath, 'write', () =>
        replaceFileAtomic(this.keyPath, `${JSON.stringify(document)}\n`, 0o600),
      );
    }
    this.#sealMarked = true;
  }

  async loadSealMark(): Promise<boolean> {
    const text = await readIfPresent(this.keyPath);
    if (text === null) return false;
    parseKeyFile(text, this.keyPath);
    return (JSON.parse(text) as Record<string, unknown>).sealed === true;
  }

  async loadState(): Promise<unknown | null> {
    const text = await readIfPresent(this.statePath);
    if (text === null) return null;
    let document: unknown;
    try {
      document = JSON.parse(text);
    } catch {
      document = undefined;
    }
    // `null` would read as "no state yet" and be overwritten by the next change.
    if (typeof document !== 'object' || document === null || Array.isArray(document)) {
      throw new StateCorruptError(
        `${this.statePath} is not a JSON object. Restore it from a backup; do not delete it, or this installation loses its license.`,
      );
    }
    return document;
  }

  async saveState(state: StateDocument): Promise<void> {
    await this.#makeDir();
    await onFile(this.statePath, 'write', () =>
      replaceFileAtomic(this.statePath, `${JSON.stringify(state, null, 2)}\n`, 0o600),
    );
  }

  async appendAudit(entry: AuditEntry): Promise<void> {
    await this.#makeDir();
    await onFile(this.auditPath, 'append to', async () => {
      const file = await open(this.auditPath, 'a+', 0o600);
      try {
        // After a torn last line (a crash during an append, or an edit), the entry starts on a
        // line of its own: glued to the fragment, it would turn a skippable tear into a damaged
        // entry that no later read gets past.
        const { size } = await file.stat();
        let lead = '';
        if (size > 0) {
          const last = Buffer.alloc(1);
          await file.read(last, 0, 1, size - 1);
          if (last[0] !== 0x0a) lead = '\n';
        }
        await file.appendFile(`${lead}${JSON.stringify(entry)}\n`, 'utf8');
        // Records of changes are made durable; a look at the license lost in a power cut is not
        // worth an fsync on every View License.
        if (!READ_ACTIONS.has(entry.action)) await file.sync();
      } finally {
        await file.close();
      }
    });
  }

  async lastAudit(): Promise<AuditEntry | null> {
    // The last lines only: a trail of years is not read whole to append one entry.
    const TAIL = 16 * 1024;
    const text = await onFile(this.auditPath, 'read', async () => {
      let file: Awaited<ReturnType<typeof open>>;
      try {
        file = await open(this.auditPath, 'r');
      } catch (error) {
        if (isMissing(error)) return '';
        throw error;
      }
      try {
        const { size } = await file.stat();
        const length = Math.min(size, TAIL);
        const buffer = Buffer.alloc(length);
        await file.read(buffer, 0, length, size - length);
        return buffer.toString('utf8');
      } finally {
        await file.close();
      }
    });
    const lines = text.split('\n').filter((line) => line !== '');
    // A torn last line (a crash during an append) is skipped, as loadAudit does.
    for (const line of lines.slice(-2).reverse()) {
      let parsed: unknown;
      try {
        parsed = JSON.parse(line);
      } catch {
        continue;
      }
      const entry = parseAuditEntry(parsed);
      if (entry !== null) return entry;
    }
    if (lines.length === 0) return null;
    // An entry longer than the tail, or a damaged one: read the whole trail to say which.
    return (await this.loadAudit()).at(-1) ?? null;
  }

  async loadAudit(): Promise<AuditEntry[]> {
    return (await this.#readAudit()).entries;
  }

  async loadAuditTears(): Promise<number[]> {
    return (await this.#readAudit()).torn;
  }

  /**
   * The entries, skipping torn appends: a crash during an append leaves the start of an entry
   * (`{"at":…` cut short), which the next append puts a line break after. Nothing links to a
   * torn entry (the next one chains to the entry before it), so skipping one hides nothing:
   * an entry turned into a fragment by hand still breaks the chain at the entry after it.
   * Anything else that is not an entry is corruption.
   */
  async #readAudit(): Promise<{ entries: AuditEntry[]; torn: number[] }> {
    const text = await readIfPresent(this.auditPath);
    if (text === null) return { entries: [], torn: [] };
    const lines = text.split('\n');
    const entries: AuditEntry[] = [];
    const torn: number[] = [];
    for (const [index, line] of lines.entries()) {
      if (line === '') continue;
      let parsed: unknown;
      try {
        parsed = JSON.parse(line);
      } catch {
        if (line.startsWith('{') || index === lines.length - 1) {
          torn.push(index + 1);
          continue;
        }
        parsed = undefined;
      }
      const entry = parseAuditEntry(parsed);
      if (entry === null) {
        throw new StateCorruptError(
          `${this.auditPath} line ${index + 1} is not an audit entry. Restore the file from a backup.`,
        );
      }
      entries.push(entry);
    }
    return { entries, torn };
  }
}

function parseKeyFile(text: string, path: string): Uint8Array {
  const corrupt = () =>
    new StateCorruptError(
      `${path} is not a Licensor installation key. Restore it from a backup; without it this installation's license cannot be used.`,
    );
  let document: unknown;
  try {
    document = JSON.parse(text);
  } catch {
    throw corrupt();
  }
  const { format, v, seed } = (document ?? {}) as Record<string, unknown>;
  if (
    format !== KEY_FORMAT ||
    v !== 1 ||
    typeof seed !== 'string' ||
    !/^[A-Za-z0-9_-]{43}$/.test(seed)
  ) {
    throw corrupt();
  }
  const bytes = new Uint8Array(Buffer.from(seed, 'base64url'));
  if (bytes.length !== 32) throw corrupt();
  return bytes;
}
