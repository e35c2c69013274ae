// Drives the CLI in-process (main() with captured output) and as the real binary.

import { spawn } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { memoryIo } from '@licensor/cli-kit';
import { main } from '../../src/cli/main.js';

export interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
}

export async function runCli(
  argv: string[],
  options: { env?: Record<string, string | undefined>; stdin?: string; cwd?: string } = {},
): Promise<CliResult> {
  const { io, out } = memoryIo({
    stdin: options.stdin ?? '',
    env: {
      LICENSOR_KEY_PASSPHRASE: undefined,
      LICENSOR_STATUS_KEY_PASSPHRASE: undefined,
      MONGODB_URI: undefined,
      ...options.env,
    },
    cwd: options.cwd ?? process.cwd(),
  });
  const code = await main(argv, io);
  return { code, ...out };
}

const here = dirname(fileURLToPath(import.meta.url));
export const PACKAGE_ROOT = join(here, '..', '..');
export const ISSUER_BIN = join(PACKAGE_ROOT, 'bin', 'licensor-issuer.js');
export const SDK_BIN = join(PACKAGE_ROOT, '..', 'sdk', 'bin', 'licensor.js');

/** Runs a real binary with node; resolves with its exit code and output. */
export function runBinary(
  bin: string,
  args: string[],
  options: { env?: Record<string, string | undefined>; stdin?: string } = {},
): Promise<CliResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [bin, ...args], {
      env: { ...process.env, ...options.env } as NodeJS.ProcessEnv,
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => {
      stdout += chunk.toString();
    });
    child.stderr.on('data', (chunk: Buffer) => {
      stderr += chunk.toString();
    });
    child.on('error', reject);
    child.on('close', (code) => resolve({ code: code ?? -1, stdout, stderr }));
    // A command that exits before it reads its input closes the pipe: its exit code and output
    // are the result, not the write's EPIPE.
    child.stdin.on('error', (error: NodeJS.ErrnoException) => {
      if (error.code !== 'EPIPE') reject(error);
    });
    child.stdin.end(options.stdin ?? '');
  });
}
