// `licensor-issuer audit verify|export`: the audit log's hash chain (issue #17.3). `verify`
// names the first broken entry; `export` writes the JSON lines and the signed head a third
// party checks with scripts/verify-audit-export.mjs.

import { createWriteStream, existsSync } from 'node:fs';
import { rename, rm, stat } from 'node:fs/promises';
import { basename, dirname, isAbsolute, join, relative as relativePath, resolve } from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { fileURLToPath } from 'node:url';
import { type CommandSpec, text as optionText } from '@licensor/cli-kit';
import { type AuditExport, exportChunks } from '../domain/audit.js';
import { AuditChainBrokenError, InputInvalidError } from '../errors.js';
import type { CommandOutput, CommandRun } from './commands.js';

export const AUDIT_COMMANDS: CommandSpec[] = [
  {
    name: 'audit verify',
    summary: "walk the audit log's hash chain; names the first edited, deleted or reordered entry",
    details:
      'Exit 1 (ERR_AUDIT_CHAIN_BROKEN) when the chain is broken. Entries removed from the end are found against an earlier export: see packages/issuer/scripts/verify-audit-export.mjs --previous (the path `audit export --out` prints).',
  },
  {
    name: 'audit export',
    summary: 'the audit log as JSON lines closed by a head signed with the active license key',
    details:
      'A third party checks it with the vendor JWKS (keys export) and packages/issuer/scripts/verify-audit-export.mjs (from the repo root; with --out it prints the path from here), without Licensor. Refused (ERR_AUDIT_CHAIN_BROKEN) when the chain is broken; an --out folder that does not exist is ERR_INPUT_INVALID.',
    options: { out: { type: 'string', value: 'FILE', help: 'write to FILE instead of stdout' } },
  },
];

const when = (ms: number) => new Date(ms).toISOString();

type Handler = (run: CommandRun) => Promise<CommandOutput>;

export const AUDIT_HANDLERS: Record<string, Handler> = {
  async 'audit verify'(run) {
    const status = await run.issuer.audit.verify();
    if (status.broken !== null) throw new AuditChainBrokenError(status.broken, 'verify');
    const head = status.head;
    const text =
      head === null
        ? 'The audit log has no chained entry yet.\n'
        : `The audit log holds: ${status.entries} chained entries (1..${head.seq}, newest ${when(head.at)}), ${status.legacy} entries before the chain anchored${status.anchoredAt === null ? '' : ` at ${when(status.anchoredAt)}`}.\nhead ${head.seq} ${head.hash}\n`;
    return { value: status, text };
  },
  async 'audit export'(run) {
    const file = optionText(run.args.values, 'out');
    // A folder that is not there is said before the log is read.
    if (file !== undefined) await assertFolder(resolve(file));
    // Checked whole, and its head signed, before a line is written: a broken chain writes nothing.
    const exported = await run.issuer.audit.export();
    const summary = { lines: exported.lines, head: exported.head };
    if (file === undefined) {
      // With --json the summary alone, as before; else the file, written as it is read.
      if (run.args.values.json !== true) {
        for await (const chunk of exportChunks(exported)) await run.io.writeStdout(chunk);
      }
      return { value: summary, text: '' };
    }
    await writeExport(file, exported);
    return {
      value: { file, ...summary },
      text: `wrote ${exported.lines} lines to ${file}; check it with: node ${verifierPath(process.cwd())} ${file} JWKS.json\n`,
    };
  },
};

/**
 * The verifier script (this package's scripts/verify-audit-export.mjs) as a path that works from
 * `cwd`: relative when it lies below, else absolute. Found from this module's own place (src/cli
 * in the sources, dist when built).
 */
export function verifierPath(cwd: string): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (let up = 0; up < 4; up++) {
    const candidate = join(dir, 'scripts', VERIFIER);
    if (existsSync(candidate)) {
      const relative = relativePath(cwd, candidate);
      return relative.startsWith('..') || isAbsolute(relative) ? candidate : relative;
    }
    dir = dirname(dir);
  }
  return `node_modules/@licensor/issuer/scripts/${VERIFIER}`;
}

const VERIFIER = 'verify-audit-export.mjs';

/** --out's folder must exist: ERR_INPUT_INVALID naming it, rather than a failed write. */
async function assertFolder(file: string): Promise<void> {
  const folder = dirname(file);
  const found = await stat(folder).catch(() => null);
  if (found === null || !found.isDirectory()) {
    throw new InputInvalidError(
      'out',
      `names a file in ${folder}, which ${found === null ? 'does not exist' : 'is not a folder'}: make the folder first, or give another path`,
    );
  }
}

/**
 * Writes the export beside `file` and renames it into place once whole: an export cut short
 * (an entry changed while it was written) leaves no file.
 */
async function writeExport(file: string, exported: AuditExport): Promise<void> {
  const partial = join(dirname(file), `.${basename(file)}.${process.pid}.partial`);
  try {
    await pipeline(
      Readable.from(exportChunks(exported)),
      createWriteStream(partial, { mode: 0o644 }),
    );
    await rename(partial, file);
  } catch (error) {
    await rm(partial, { force: true });
    throw error;
  }
}
