// `licensor-verify serve` as a real child process: start it, read its JSON log lines, send it
// checks over HTTP.
import { type ChildProcess, spawn } from 'node:child_process';
import { EventEmitter } from 'node:events';
import { request as httpRequest } from 'node:http';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { type CheckClaims, newNonce, signCheck } from '@licensor/token';
import { passphrase } from './issuer-store.js';

export const bin = join(import.meta.dirname, '..', '..', 'bin', 'licensor-verify.js');

/**
 * The environment of a `serve` run on the SQLite store under --data (MONGODB_URI, set in CI,
 * would pick MongoDB), with the status passphrase and never the issuing one; `env` on top.
 */
export function serveEnv(env: Record<string, string> = {}): NodeJS.ProcessEnv {
  return {
    ...process.env,
    MONGODB_URI: '',
    LICENSOR_KEY_PASSPHRASE: '',
    LICENSOR_STATUS_KEY_PASSPHRASE: passphrase,
    ...env,
  };
}

/** `detached`: the process leads its own group, so a test can signal the whole group. */
export function serveProcess(
  args: string[],
  env: Record<string, string> = {},
  options: { detached?: boolean } = {},
): ChildProcess {
  const port = args.includes('--port') ? [] : ['--port', '0'];
  return spawn(process.execPath, [bin, 'serve', ...port, ...args], {
    env: serveEnv(env),
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: options.detached === true,
  });
}

/** GET on a new connection, so that cluster workers take turns; the body as text. */
export function getFresh(url: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    httpRequest(url, { agent: false }, (response) => {
      const chunks: Buffer[] = [];
      response.on('data', (chunk: Buffer) => chunks.push(chunk));
      response.on('end', () =>
        resolve({ status: response.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8') }),
      );
      response.on('error', reject);
    })
      .on('error', reject)
      .end();
  });
}

export interface LogEntry {
  event?: string;
  url?: string;
  kid?: string;
  pid?: number;
  role?: string;
  outcome?: string;
  workerPid?: number;
  worker?: number;
  signal?: string;
  port?: number;
  line?: string;
}

// One line reader per process, shared by every listener: closing a readline interface pauses
// its input, which would starve the others.
const readers = new WeakMap<ChildProcess, EventEmitter>();

/** Calls `onEntry` with every JSON log line the process prints from now on; returns unsubscribe. */
export function logLines(child: ChildProcess, onEntry: (entry: LogEntry) => void): () => void {
  let reader = readers.get(child);
  if (reader === undefined) {
    const emitter = new EventEmitter();
    createInterface({ input: child.stdout! }).on('line', (line) => {
      let entry: LogEntry;
      try {
        entry = JSON.parse(line) as LogEntry;
      } catch {
        entry = { event: 'unparsable_line', line } as LogEntry;
      }
      emitter.emit('entry', entry);
    });
    readers.set(child, emitter);
    reader = emitter;
  }
  const events = reader;
  events.on('entry', onEntry);
  return () => events.off('entry', onEntry);
}

/** Resolves with the first log line of `event` the process prints (from now on). */
export function logEvent(child: ChildProcess, event: string): Promise<LogEntry> {
  return new Promise((resolve, reject) => {
    const onExit = (code: number | null) => {
      stop();
      reject(new Error(`exited with ${code} before logging ${event}`));
    };
    const stop = logLines(child, (entry) => {
      if (entry.event !== event) return;
      stop();
      child.off('exit', onExit);
      resolve(entry);
    });
    child.once('exit', onExit);
  });
}

export async function listeningUrl(child: ChildProcess): Promise<string> {
  return (await logEvent(child, 'listening')).url!;
}

/** The exit code, once the process has exited and its output has been read to the end. */
export function exitOf(child: ChildProcess): Promise<number | null> {
  return new Promise((resolve) => child.once('close', (code) => resolve(code)));
}

/** Sends `signal` (a stop by default) and waits for the exit: its code. */
export function stopped(
  child: ChildProcess,
  signal: NodeJS.Signals = 'SIGTERM',
): Promise<number | null> {
  const exited = exitOf(child);
  child.kill(signal);
  return exited;
}

export function checkFor(
  licenseId: string,
  installation: Parameters<typeof signCheck>[1],
  overrides: Partial<CheckClaims> = {},
): string {
  return signCheck(
    {
      v: 1,
      iat: Math.floor(Date.now() / 1000),
      nonce: newNonce(),
      lid: licenseId,
      rev: 1,
      sdk: '0.1.0',
      product: { name: 'CMS', version: '5.2.0' },
      usage: { credentialsInUse: 1 },
      ...overrides,
    },
    installation,
  );
}

/** POSTs a check on a new connection (so that cluster workers take turns); the status code. */
export function post(
  url: string,
  token: string,
): Promise<{ status: number; text(): Promise<string> }> {
  return new Promise((resolve, reject) => {
    const request = httpRequest(
      `${url}/v1/checks`,
      { method: 'POST', agent: false, headers: { 'content-type': 'application/jose' } },
      (response) => {
        const chunks: Buffer[] = [];
        response.on('data', (chunk: Buffer) => chunks.push(chunk));
        response.on('end', () => {
          const body = Buffer.concat(chunks).toString('utf8');
          resolve({ status: response.statusCode ?? 0, text: async () => body });
        });
        response.on('error', reject);
      },
    );
    request.on('error', reject);
    request.end(token);
  });
}
