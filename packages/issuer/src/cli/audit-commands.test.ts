import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import Database from 'better-sqlite3';
import { beforeEach, describe, expect, it } from 'vitest';
import { runCli } from '../../test/support/run-cli.js';
import { verifierPath } from './audit-commands.js';

const VERIFIER = fileURLToPath(new URL('../../scripts/verify-audit-export.mjs', import.meta.url));

let data: string;
const cli = (args: string[]) => runCli(['--data', data, '--operator', 'tester', ...args]);

beforeEach(async () => {
  data = mkdtempSync(join(tmpdir(), 'licensor-issuer-audit-'));
  await cli(['init']);
  await cli(['users', 'add', 'bob', '--role', 'viewer', '--password', 'a long password 1']);
});

/** What someone with the database file does: the append-only triggers do not stop them. */
function editEntry(seq: number): void {
  const db = new Database(join(data, 'licensor.db'));
  db.exec('DROP TRIGGER audit_events_no_update');
  db.prepare(`UPDATE audit_events SET actor = 'mallory' WHERE seq = ?`).run(seq);
  db.close();
}

describe('licensor-issuer audit', () => {
  it('verify says the chain holds; export writes what the standalone verifier accepts', async () => {
    const verified = await cli(['audit', 'verify']);
    expect(verified).toMatchObject({ code: 0 });
    expect(verified.stdout).toMatch(/^The audit log holds: (\d+) chained entries \(1\.\.\1, /);
    const file = join(data, 'audit.jsonl');
    const exported = await cli(['audit', 'export', '--out', file]);
    expect(exported).toMatchObject({ code: 0 });
    expect(exported.stdout).toMatch(`lines to ${file}`);
    // The verifier it names is there, from where the command ran (the repo root, here or any).
    const named = /check it with: node (\S+) /.exec(exported.stdout)![1]!;
    expect(existsSync(resolve(process.cwd(), named))).toBe(true);
    expect(resolve(process.cwd(), named)).toBe(VERIFIER);
    expect(verifierPath(join(VERIFIER, '..', '..', '..', '..'))).toBe(
      'packages/issuer/scripts/verify-audit-export.mjs',
    );
    expect(verifierPath(tmpdir())).toBe(VERIFIER);
    writeFileSync(join(data, 'jwks.json'), (await cli(['keys', 'export'])).stdout);
    const { stdout } = await promisify(execFile)(process.execPath, [
      VERIFIER,
      file,
      join(data, 'jwks.json'),
    ]);
    expect(stdout).toMatch(/^OK: \d+ chained entries/);
    // To stdout, written as it is read: the same file, and --json says what it holds.
    const printed = await cli(['audit', 'export']);
    expect(printed.code).toBe(0);
    // The same entries; the heads differ only where the second ticked between the two runs (iat).
    const entriesOf = (text: string) => text.slice(0, text.lastIndexOf('{"head":'));
    expect(entriesOf(printed.stdout)).toBe(entriesOf(readFileSync(file, 'utf8')));
    expect(entriesOf(printed.stdout).length).toBeGreaterThan(0);
    const summary = JSON.parse((await cli(['audit', 'export', '--json'])).stdout);
    expect(summary.lines).toBe(printed.stdout.split('\n').length - 1);
    // The head line closes it; --json's head (another export) certifies the same entries.
    const claimsOf = (jws: string) =>
      JSON.parse(Buffer.from(jws.split('.')[1]!, 'base64url').toString('utf8'));
    const headLine = JSON.parse(printed.stdout.slice(entriesOf(printed.stdout).length)).head;
    expect({ ...claimsOf(headLine), iat: 0 }).toEqual({ ...claimsOf(summary.head), iat: 0 });
  });

  it('names an edited entry, exit 1, and exports nothing', async () => {
    editEntry(2);
    const verified = await cli(['audit', 'verify']);
    expect(verified).toMatchObject({ code: 1, stdout: '' });
    expect(verified.stderr).toMatch(
      /^error: ERR_AUDIT_CHAIN_BROKEN: audit entry 2 \(evt_\S+\) was changed after it was written/,
    );
    // It names the break itself: no pointer back to the command just run.
    expect(verified.stderr).not.toContain('audit verify');
    const file = join(data, 'audit.jsonl');
    const exported = await cli(['audit', 'export', '--out', file]);
    expect(exported.code).toBe(1);
    expect(exported.stderr).toMatch(/ERR_AUDIT_CHAIN_BROKEN: audit entry 2 /);
    expect(exported.stderr).toContain('`licensor-issuer audit verify` names the break');
    expect(existsSync(file)).toBe(false);
    // The refusal changed nothing: the same break, at the same place.
    expect((await cli(['audit', 'verify', '--json'])).stdout).toMatch(
      /"code":"ERR_AUDIT_CHAIN_BROKEN"/,
    );
  });

  it('refuses an --out folder that does not exist, naming it, and writes nothing', async () => {
    const audit = (await cli(['audit', '--json'])).stdout;
    const missing = join(data, 'no-such-folder');
    const exported = await cli(['audit', 'export', '--out', join(missing, 'x.jsonl')]);
    expect(exported.code).toBe(1);
    expect(exported.stderr).toBe(
      `error: ERR_INPUT_INVALID: out names a file in ${missing}, which does not exist: make the folder first, or give another path\n`,
    );
    expect(existsSync(missing)).toBe(false);
    expect((await cli(['audit', '--json'])).stdout).toBe(audit);
  });
});
