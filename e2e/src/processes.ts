// Runs Licensor's real binaries as child processes: the CLIs to completion, the services in the
// background until stopped. Everything listens on 127.0.0.1 only.
import { type ChildProcess, spawn } from 'node:child_process';
import { createServer } from 'node:net';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

export const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '../..');

export const bins = {
  licensor: join(repoRoot, 'packages/sdk/bin/licensor.js'),
  issuer: join(repoRoot, 'packages/issuer/bin/licensor-issuer.js'),
  portal: join(repoRoot, 'apps/issuer-portal/bin/licensor-portal.js'),
  verify: join(repoRoot, 'packages/verify-service/bin/licensor-verify.js'),
} as const;

export interface RunResult {
  code: number;
  stdout: string;
  stderr: string;
}

export function run(
  bin: string,
  args: string[],
  options: { input?: string; env?: NodeJS.ProcessEnv } = {},
): Promise<RunResult> {
  return new Promise((resolvePromise, reject) => {
    const child = spawn(process.execPath, [bin, ...args], {
      env: { ...process.env, ...options.env },
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => {
      stdout += chunk.toString('utf8');
    });
    child.stderr.on('data', (chunk: Buffer) => {
      stderr += chunk.toString('utf8');
    });
    child.on('error', reject);
    child.on('close', (code) => resolvePromise({ code: code ?? -1, stdout, stderr }));
    // A command that exits before it reads its input (a refusal, a --help) closes the pipe:
    // the write's EPIPE is not the test's failure, its exit code and output are.
    child.stdin.on('error', (error: NodeJS.ErrnoException) => {
      if (error.code !== 'EPIPE') reject(error);
    });
    child.stdin.end(options.input ?? '');
  });
}

/** Runs a CLI and returns its stdout, or throws with its stderr when it did not exit 0. */
export async function runOk(
  bin: string,
  args: string[],
  options: { input?: string; env?: NodeJS.ProcessEnv } = {},
): Promise<string> {
  const result = await run(bin, args, options);
  if (result.code !== 0) {
    throw new Error(
      `${bin.split('/').pop()} ${args.join(' ')} exited ${result.code}: ${result.stderr || result.stdout}`,
    );
  }
  return result.stdout;
}

export function freePort(): Promise<number> {
  return new Promise((resolvePromise, reject) => {
    const server = createServer();
    server.unref();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => resolvePromise(port));
    });
  });
}

export class Service {
  private output = '';
  private exited: Promise<number | null>;

  constructor(
    readonly name: string,
    private readonly child: ChildProcess,
  ) {
    child.stdout?.on('data', (chunk: Buffer) => this.capture(chunk));
    child.stderr?.on('data', (chunk: Buffer) => this.capture(chunk));
    this.exited = new Promise((resolvePromise) => child.on('exit', (code) => resolvePromise(code)));
  }

  static start(name: string, bin: string, args: string[], env: NodeJS.ProcessEnv = {}): Service {
    const child = spawn(process.execPath, [bin, ...args], {
      env: { ...process.env, ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    return new Service(name, child);
  }

  get log(): string {
    return this.output;
  }

  get running(): boolean {
    return this.child.exitCode === null && this.child.signalCode === null;
  }

  /** Polls `url` until it answers 200, or fails with the service's own output. */
  async waitUntilReady(url: string, timeoutMs = 30_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (Date.now() < deadline) {
      if (!this.running)
        throw new Error(`${this.name} exited before it was ready:\n${this.output}`);
      try {
        const response = await fetch(url);
        if (response.ok) return;
      } catch {
        // not listening yet
      }
      await new Promise((r) => setTimeout(r, 100));
    }
    // Not left running behind the failure (nothing else holds it yet to stop it).
    await this.stop();
    throw new Error(`${this.name} was not ready at ${url} after ${timeoutMs} ms:\n${this.output}`);
  }

  /** SIGTERM (graceful), then SIGKILL if it has not exited in time. Returns the exit code. */
  async stop(timeoutMs = 10_000): Promise<number | null> {
    if (!this.running) return this.child.exitCode;
    this.child.kill('SIGTERM');
    const timer = setTimeout(() => this.child.kill('SIGKILL'), timeoutMs);
    const code = await this.exited;
    clearTimeout(timer);
    return code;
  }

  /** Sends a signal (SIGHUP: the verify service reloads its status keys and key sets). */
  signal(signal: NodeJS.Signals): void {
    this.child.kill(signal);
  }

  /** Waits until the output holds `text` at least `count` times (a log event, say). */
  async waitForOutput(text: string, count = 1, timeoutMs = 15_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (this.output.split(text).length - 1 < count) {
      if (!this.running) throw new Error(`${this.name} exited:\n${this.output}`);
      if (Date.now() > deadline) {
        throw new Error(`${this.name} did not log ${text} ×${count}:\n${this.output}`);
      }
      await new Promise((r) => setTimeout(r, 50));
    }
  }

  kill(): Promise<number | null> {
    this.child.kill('SIGKILL');
    return this.exited;
  }

  private capture(chunk: Buffer): void {
    this.output += chunk.toString('utf8');
    if (this.output.length > 200_000) this.output = this.output.slice(-100_000);
  }
}
