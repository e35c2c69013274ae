#!/usr/bin/env node
// Entry of the `licensor-portal` binary (bin/licensor-portal.js imports the built file); the
// command line is in ./cli/spec.ts, what it runs in ./cli/main.ts.
import { processIo } from '@licensor/cli-kit';
import { main } from './cli/main.js';

main(process.argv.slice(2), processIo()).then(
  (code) => {
    if (code >= 0) process.exitCode = code; // -1: serving until a signal
  },
  (error: unknown) => {
    // A bug, not a refusal: the stack is for the report. Exit now, so nothing it left open
    // (a store's threads, a timer) keeps the process alive.
    process.stderr.write(`error: ${(error as Error)?.stack ?? String(error)}\n`);
    process.exit(1);
  },
);
