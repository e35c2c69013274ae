// What a CLI reads and writes, as values (so tests drive `main` in-process), the reading of an
// argument given as text, `@FILE` or `-`, and the bootstrap of a binary around its `main`.

import { createReadStream } from 'node:fs';
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
  /** Reads stdin to its end; past `maxBytes` it stops and rejects with an InputTooLargeError. */
  readStdin: (maxBytes?: number) => Promise<string>;
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

/**
 * The most an argument read from a file or stdin may hold: 4 MiB, far above the largest license
 * key, challenge or plan any command takes (a license key with its key sets is under 200 KB), so
 * that `@/dev/zero` or a backup named by mistake ends in a typed error, not in memory exhausted.
 */
export const MAX_ARGUMENT_BYTES = 4 * 1024 * 1024;

/** A file or stdin holding more than an argument may: exit 1, saying what was expected. */
export class InputTooLargeError extends LicensorError {
  static readonly code = 'ERR_INPUT_INVALID';
  readonly source: string;
  readonly maxBytes: number;
  constructor(source: string, maxBytes: number, what = 'it') {
    super(
      InputTooLargeError.code,
      `${source} holds more than ${maxBytes} bytes, more than ${what} can be. Give the file that holds ${what} only.`,
    );
    this.source = source;
    this.maxBytes = maxBytes;
  }
}

/** Reads a stream to its end as UTF-8, refusing it once it passes `maxBytes` (then destroyed). */
export function readBounded(
  stream: NodeJS.ReadableStream & { destroy?: () => void },
  maxBytes: number,
  source: string,
): Promise<string> {
  return new Promise((done, fail) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const onData = (chunk: Buffer | string) => {
      const buffer = typeof chunk === 'string' ? Buffer.from(chunk) : chunk;
      size += buffer.length;
      if (size > maxBytes) {
        stream.off('data', onData);
        stream.destroy?.();
        fail(new InputTooLargeError(source, maxBytes));
        return;
      }
      chunks.push(buffer);
    };
    stream.on('data', onData);
    stream.once('end', () => done(Buffer.concat(chunks).toString('utf8')));
    stream.once('error', fail);
  });
}

/** An argument given as text, `@FILE` (read from the file) or `-` (read from stdin). */
export async function readArgument(
  argument: string,
  io: CliIo,
  what = 'it',
  maxBytes = MAX_ARGUMENT_BYTES,
): Promise<string> {
  if (argument === '-') {
    try {
      return await io.readStdin(maxBytes);
    } catch (error) {
      if (error instanceof InputTooLargeError)
        throw new InputTooLargeError('stdin', maxBytes, what);
      throw error;
    }
  }
  if (!argument.startsWith('@')) return argument;
  const path = resolve(io.cwd, argument.slice(1));
  try {
    return await readBounded(createReadStream(path), maxBytes, path);
  } catch (error) {
    if (error instanceof InputTooLargeError) throw new InputTooLargeError(path, maxBytes, what);
    throw new ArgumentFileError(path, (error as NodeJS.ErrnoException).code ?? 'error', what);
  }
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
    readStdin: (maxBytes = MAX_ARGUMENT_BYTES) => readBounded(process.stdin, maxBytes, 'stdin'),
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
      readStdin:
        typeof stdin === 'string'
          ? async (maxBytes = MAX_ARGUMENT_BYTES) => {
              if (Buffer.byteLength(stdin) > maxBytes) {
                throw new InputTooLargeError('stdin', maxBytes);
              }
              return stdin;
            }
          : stdin,
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
