// What a CLI reads and writes, as values (so tests drive `main` in-process), the reading of an
// argument given as text, `@FILE` or `-`, and the bootstrap of a binary around its `main`.

import { readFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import { LicensorError } from '@licensor/token';

export interface CliIo {
  stdout: (text: string) => void;
  /**
   * Writes to stdout with backpressure: resolves once the stream takes more (for output too
   * large to build whole, written a chunk at a time).
   */
  writeStdout: (text: string) => Promise<void>;
  stderr: (text: string) => void;
  readStdin: () => Promise<string>;
  env: Record<string, string | undefined>;
  cwd: string;
}

/** An `@FILE` argument whose file cannot be read: exit 1, naming the path. */
export class ArgumentFileError extends LicensorError {
  static readonly code = 'ERR_INPUT_INVALID';
  readonly path: string;
  constructor(path: string, reason: string, what: string) {
    super(
      ArgumentFileError.code,
      `cannot read ${path} (${reason}). Give the path of the file that holds ${what}.`,
    );
    this.path = path;
  }
}

/** An argument given as text, `@FILE` (read from the file) or `-` (read from stdin). */
export async function readArgument(argument: string, io: CliIo, what = 'it'): Promise<string> {
  if (argument === '-') return io.readStdin();
  if (!argument.startsWith('@')) return argument;
  const path = resolve(io.cwd, argument.slice(1));
  try {
    return await readFile(path, 'utf8');
  } catch (error) {
    throw new ArgumentFileError(path, (error as NodeJS.ErrnoException).code ?? 'error', what);
  }
}

function readProcessStdin(): Promise<string> {
  return new Promise((done, fail) => {
    const chunks: Buffer[] = [];
    process.stdin.on('data', (chunk: Buffer) => chunks.push(chunk));
    process.stdin.on('end', () => done(Buffer.concat(chunks).toString('utf8')));
    process.stdin.on('error', fail);
  });
}

/** The real process's streams, environment and folder. */
export function processIo(): CliIo {
  return {
    stdout: (text) => process.stdout.write(text),
    writeStdout: (text) =>
      new Promise((done, fail) => {
        const onError = (error: Error) => fail(error);
        process.stdout.once('error', onError);
        const settle = () => {
          process.stdout.off('error', onError);
          done();
        };
        if (process.stdout.write(text)) settle();
        else process.stdout.once('drain', settle);
      }),
    stderr: (text) => process.stderr.write(text),
    readStdin: readProcessStdin,
    env: process.env,
    cwd: process.cwd(),
  };
}

/** A CliIo in memory (for driving a CLI's `main` in-process) and what was written to it. */
export interface MemoryIo {
  io: CliIo;
  out: { stdout: string; stderr: string };
}

export function memoryIo(
  options: {
    env?: CliIo['env'];
    cwd?: string;
    /** What stdin holds, or how reading it goes (a rejection: a broken pipe). */
    stdin?: string | (() => Promise<string>);
  } = {},
): MemoryIo {
  const out = { stdout: '', stderr: '' };
  const { stdin = '' } = options;
  return {
    out,
    io: {
      stdout: (text) => {
        out.stdout += text;
      },
      writeStdout: async (text) => {
        out.stdout += text;
      },
      stderr: (text) => {
        out.stderr += text;
      },
      readStdin: typeof stdin === 'string' ? async () => stdin : stdin,
      env: options.env ?? {},
      cwd: options.cwd ?? process.cwd(),
    },
  };
}

/**
 * Runs a binary's `main` and sets the exit code; a bug still ends in one line
 * (`error: ERR_UNEXPECTED: …`), never a stack trace on the operator's screen.
 */
export function runMain(main: (argv: string[], io: CliIo) => Promise<number>): void {
  main(process.argv.slice(2), processIo()).then(
    (code) => {
      process.exitCode = code;
    },
    (error: unknown) => {
      process.stderr.write(
        `error: ERR_UNEXPECTED: ${(error as Error)?.message ?? String(error)}\n`,
      );
      process.exitCode = 1;
    },
  );
}
