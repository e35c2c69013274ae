// `licensor-issuer audit verify|export`: the audit log's hash chain (issue #17.3). `verify`
// names the first broken entry; `export` writes the JSON lines and the signed head a third
// party checks with scripts/verify-audit-export.mjs.

import { createWriteStream } from 'node:fs';
import { rename, rm } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { type CommandSpec, text as optionText } from '@licensor/cli-kit';
import { type AuditExport, exportChunks } from '../domain/audit.js';
import { AuditChainBrokenError } from '../errors.js';
import type { CommandOutput, CommandRun } from './commands.js';

export const AUDIT_COMMANDS: CommandSpec[] = [
  {
    name: 'audit verify',
    summary: "walk the audit log's hash chain; names the first edited, deleted or reordered entry",
    details:
      'Exit 1 (ERR_AUDIT_CHAIN_BROKEN) when the chain is broken. Entries removed from the end are found against an earlier export: see scripts/verify-audit-export.mjs --previous.',
  },
  {
    name: 'audit export',
    summary: 'the audit log as JSON lines closed by a head signed with the active license key',
    details:
      'A third party checks it with the vendor JWKS (keys export) and scripts/verify-audit-export.mjs, without Licensor. Refused (ERR_AUDIT_CHAIN_BROKEN) when the chain is broken.',
    options: { out: { type: 'string', value: 'FILE', help: 'write to FILE instead of stdout' } },
  },
];

const when = (ms: number) => new Date(ms).toISOString();

type Handler = (run: CommandRun) => Promise<CommandOutput>;

export const AUDIT_HANDLERS: Record<string, Handler> = {
  async 'audit verify'(run) {
    const status = await run.issuer.audit.verify();
    if (status.broken !== null) throw new AuditChainBrokenError(status.broken);
    const head = status.head;
    const text =
      head === null
        ? 'The audit log has no chained entry yet.\n'
        : `The audit log holds: ${status.entries} chained entries (1..${head.seq}, newest ${when(head.at)}), ${status.legacy} entries before the chain anchored${status.anchoredAt === null ? '' : ` at ${when(status.anchoredAt)}`}.\nhead ${head.seq} ${head.hash}\n`;
    return { value: status, text };
  },
  async 'audit export'(run) {
    // Checked whole, and its head signed, before a line is written: a broken chain writes nothing.
    const exported = await run.issuer.audit.export();
    const file = optionText(run.args.values, 'out');
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
      text: `wrote ${exported.lines} lines to ${file}; check it with: node scripts/verify-audit-export.mjs ${file} JWKS.json\n`,
    };
  },
};

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
