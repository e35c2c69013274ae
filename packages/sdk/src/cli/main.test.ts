import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { MAX_ARGUMENT_BYTES, memoryIo } from '@licensor/cli-kit';
import { afterEach, describe, expect, it } from 'vitest';
import { admin, answer, FrozenClock, golden, setup, widenedJwks } from '../../test/fixtures.js';
import { v1 } from '../../test/keysets.js';
import { startVerifyServer, statusFor, type VerifyServer } from '../../test/verify-server.js';
import { main } from './main.js';

const servers: VerifyServer[] = [];
afterEach(async () => {
  await Promise.all(servers.splice(0).map((server) => server.close()));
});

/** A folder with the vendor's JWKS in it, where `licensor` runs. */
function folder(): string {
  const cwd = mkdtempSync(join(tmpdir(), 'licensor-main-'));
  writeFileSync(join(cwd, 'vendor.jwks.json'), JSON.stringify(golden.jwks));
  return cwd;
}

async function licensor(cwd: string, ...args: string[]) {
  const run = io(cwd, async () => '');
  const code = await main([...args, '--trust', 'vendor.jwks.json'], run.cli);
  return { code, ...run.out };
}

function io(cwd: string, stdin: () => Promise<string>) {
  const { io: cli, out } = memoryIo({ cwd, stdin });
  return { cli, out };
}

describe('licensor main', () => {
  it('reports an unexpected error as ERR_UNEXPECTED, as JSON with --json', async () => {
    const cwd = folder();
    expect((await licensor(cwd, 'challenge')).code).toBe(0);
    const broken = () => Promise.reject(new Error('stdin closed'));
    const asJson = io(cwd, broken);
    const args = ['apply', '-', '--trust', 'vendor.jwks.json'];
    expect(await main([...args, '--json'], asJson.cli)).toBe(1);
    expect(JSON.parse(asJson.out.stdout)).toEqual({
      error: { code: 'ERR_UNEXPECTED', message: 'stdin closed' },
    });
    expect(asJson.out.stderr).toBe('');
    const plain = io(cwd, broken);
    expect(await main(args, plain.cli)).toBe(1);
    expect(plain.out.stderr).toBe('error: ERR_UNEXPECTED: stdin closed\n');
  });

  it('prints why a delivered license was refused and that the vendor must be told, not only its code', async () => {
    const cwd = folder();
    const server = await startVerifyServer(new FrozenClock(Math.floor(Date.now() / 1000)));
    servers.push(server);
    const challenge = (await licensor(cwd, 'challenge')).stdout.trim();
    server.register(challenge);
    expect((await licensor(cwd, 'apply', answer(challenge))).code).toBe(0);
    // The service delivers a revision bound to another installation: refused, license kept.
    const other = setup();
    const { challenge: foreign } = await other.licensor.createChallenge(admin);
    server.plan = (check, id) =>
      statusFor(check, id, new FrozenClock(Math.floor(Date.now() / 1000)), {
        rev: 2,
        license: answer(foreign, { lid: check.lid, rev: 2, chal: null }),
      });
    const verified = await licensor(cwd, 'verify', '--url', server.url);
    expect(verified).toMatchObject({ code: 0, stderr: '' });
    expect(verified.stdout).toMatch(
      /The delivered license was refused \(ERR_LICENSE_OTHER_INSTALLATION\): \S.+\./,
    );
    expect(verified.stdout).toMatch(/The license in force stays as it was: tell the vendor/);
  });

  it('shows the empty View License on a state without a license; no state at all stays ERR_STATE_NOT_FOUND', async () => {
    const cwd = folder();
    // A state with a pending challenge and no license yet.
    expect((await licensor(cwd, 'challenge')).code).toBe(0);
    const shown = await licensor(cwd, 'show');
    expect(shown).toMatchObject({ code: 0, stderr: '' });
    expect(shown.stdout).toMatch(/^State: +none\n/);
    expect(shown.stdout).toMatch(/^License ID: +-$/m);
    expect(shown.stdout).toMatch(/^Pending requests: +1$/m);
    const asJson = await licensor(cwd, 'show', '--json');
    expect(JSON.parse(asJson.stdout)).toMatchObject({ state: 'none', licenseId: null });
    const missing = await licensor(cwd, 'show', '--state', 'nothing-here');
    expect(missing.code).toBe(1);
    expect(missing.stderr).toMatch(/^error: ERR_STATE_NOT_FOUND: /);
  });

  it('refuses --trust /dev/zero as invalid input once past 4 MiB, not read until memory runs out', async () => {
    const cwd = mkdtempSync(join(tmpdir(), 'licensor-main-'));
    const run = io(cwd, async () => '');
    expect(await main(['challenge', '--trust', '/dev/zero'], run.cli)).toBe(1);
    expect(run.out.stderr).toBe(
      `error: ERR_INPUT_INVALID: /dev/zero holds more than ${MAX_ARGUMENT_BYTES} bytes, more than the vendor's JWKS can be. Give the file that holds the vendor's JWKS only.\n`,
    );
    expect(run.out.stdout).toBe('');
    expect(existsSync(join(cwd, '.licensor'))).toBe(false);
  });

  it.each([
    ['trust', v1],
    ['apply', 'key'],
    ['show'],
    ['capacity'],
    ['verify'],
    ['activate', 'subscription'],
    ['requests'],
    ['requests', 'cancel', 'chl_x'],
    ['audit'],
  ])(
    'refuses %s … on a missing --state folder (ERR_STATE_NOT_FOUND) and creates nothing',
    async (...command: string[]) => {
      const cwd = mkdtempSync(join(tmpdir(), 'licensor-main-'));
      writeFileSync(join(cwd, 'vendor.jwks.json'), JSON.stringify(golden.jwks));
      const run = io(cwd, async () => '');
      const args = [...command, '--state', 'missing', '--trust', 'vendor.jwks.json'];
      expect(await main(args, run.cli)).toBe(1);
      expect(run.out.stderr).toMatch(/^error: ERR_STATE_NOT_FOUND: There is no license state in /);
      expect(run.out.stdout).toBe('');
      expect(existsSync(join(cwd, 'missing'))).toBe(false);
    },
  );

  it.each([
    ['apply', 'not-a-key'],
    ['apply', 'not-a-key', '--role', 'viewer'],
    ['show'],
    ['verify'],
    ['audit'],
  ])(
    'refuses %s … on an existing empty --state folder (ERR_STATE_NOT_FOUND) and writes nothing there',
    async (...command: string[]) => {
      const cwd = folder();
      mkdirSync(join(cwd, 'empty'));
      const run = io(cwd, async () => '');
      const args = [...command, '--state', 'empty', '--trust', 'vendor.jwks.json'];
      expect(await main(args, run.cli)).toBe(1);
      expect(run.out.stderr).toMatch(
        /^error: ERR_STATE_NOT_FOUND: There is no license state in \S+empty \(no installation-key\.json or state\.json there\)\./,
      );
      expect(readdirSync(join(cwd, 'empty'))).toEqual([]);
    },
  );

  it('keeps the saved trust when a command given --replace-trust is refused (exit 1) or misused (exit 2)', async () => {
    const cwd = folder();
    expect((await licensor(cwd, 'challenge')).code).toBe(0);
    const saved = join(cwd, '.licensor', 'trust.jwks.json');
    const before = readFileSync(saved, 'utf8');
    const widened = widenedJwks(9);
    writeFileSync(join(cwd, 'widened.jwks.json'), JSON.stringify(widened));
    const replacing = ['--trust', 'widened.jwks.json', '--replace-trust'];

    const refused = io(cwd, async () => '');
    expect(await main(['apply', 'not-a-key', ...replacing], refused.cli)).toBe(1);
    expect(refused.out.stderr).toMatch(/^error: ERR_/);
    expect(readFileSync(saved, 'utf8')).toBe(before);

    const misused = io(cwd, async () => '');
    expect(await main(['show', '--product', 'no-version', ...replacing], misused.cli)).toBe(2);
    expect(readFileSync(saved, 'utf8')).toBe(before);

    const shown = io(cwd, async () => '');
    expect(await main(['show', ...replacing], shown.cli)).toBe(0);
    expect(JSON.parse(readFileSync(saved, 'utf8'))).toEqual(widened);
  });

  it('makes no folder for a challenge refused for a bad --product', async () => {
    const cwd = folder();
    const run = io(cwd, async () => '');
    const args = ['challenge', '--product', 'no-version', '--trust', 'vendor.jwks.json'];
    expect(await main(args, run.cli)).toBe(2);
    expect(run.out.stderr).toMatch(/--product must be NAME@VERSION/);
    expect(existsSync(join(cwd, '.licensor'))).toBe(false);
  });
});
