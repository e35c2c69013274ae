// Drives the real `licensor` binary (bin/licensor.js → dist/cli.js, built before tests) through
// the CMS license page: challenge → apply → show, and the refusals with their exit codes.
import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { MAX_ARGUMENT_BYTES } from '@licensor/cli-kit';
import { armour, challengeHash, verifyChallenge } from '@licensor/token';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SDK_VERSION } from '../src/version.js';
import { answer, FrozenClock, golden, term, widenedJwks } from './fixtures.js';
import { forged, L2, v1, v2 } from './keysets.js';
import {
  startVerifyServer,
  statusFor,
  unreachableUrl,
  type VerifyServer,
} from './verify-server.js';

const BIN = join(dirname(fileURLToPath(import.meta.url)), '..', 'bin', 'licensor.js');

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

function licensor(
  args: string[],
  options: { cwd: string; stdin?: string; env?: Record<string, string> },
): Promise<Run> {
  return new Promise((resolve) => {
    const child = execFile(
      process.execPath,
      [BIN, ...args],
      { cwd: options.cwd, env: { ...process.env, LICENSOR_VERIFY_URL: '', ...options.env } },
      (error, stdout, stderr) => {
        resolve({ code: error === null ? 0 : Number(error.code), stdout, stderr });
      },
    );
    // A CLI that refuses its input stops reading it: the rest of a large stdin meets a closed pipe.
    child.stdin?.on('error', () => undefined);
    child.stdin?.end(options.stdin ?? '');
  });
}

let cwd: string;
let server: VerifyServer;

beforeAll(async () => {
  cwd = mkdtempSync(join(tmpdir(), 'licensor-cli-'));
  writeFileSync(join(cwd, 'vendor.jwks.json'), JSON.stringify(golden.jwks));
  server = await startVerifyServer(new FrozenClock(Math.floor(Date.now() / 1000)));
});

afterAll(async () => {
  await server.close();
});

describe('licensor CLI', () => {
  it('runs challenge → apply → show, and refuses a replay with exit 1', async () => {
    const challengeRun = await licensor(
      [
        'challenge',
        '--trust',
        'vendor.jwks.json',
        '--credentials',
        '25',
        '--customer',
        'Acme',
        '--operator',
        'alice',
      ],
      { cwd },
    );
    expect(challengeRun).toMatchObject({ code: 0, stderr: '' });
    const lines = challengeRun.stdout.split('\n');
    expect(lines).toHaveLength(2);
    const challenge = lines[0] ?? '';
    expect(verifyChallenge(challenge).claims.request).toEqual({
      kind: 'license',
      credentials: 25,
      customerName: 'Acme',
    });

    const key = answer(challenge, { credentials: 25, customer: { id: 'cus_acme', name: 'Acme' } });
    writeFileSync(join(cwd, 'key.txt'), `Your key:\n${armour(key, 'license')}\n`);
    const applied = await licensor(['apply', '@key.txt'], { cwd });
    expect(applied).toMatchObject({ code: 0, stderr: '' });
    expect(applied.stdout).toMatch(
      /^Applied license lic_\S+ revision 1 \(transaction txn_\S+\)\. State: active\.\n$/,
    );

    const shown = await licensor(['show'], { cwd });
    expect(shown.code).toBe(0);
    expect(shown.stdout).toMatch(/^State:\s+active$/m);
    expect(shown.stdout).toMatch(/^Customer:\s+Acme$/m);
    expect(shown.stdout).toMatch(/^Number of credentials:\s+25$/m);
    expect(shown.stdout).toMatch(/^Last verify time:\s+never$/m);

    // Number of credentials: may one more be managed?
    const room = await licensor(['capacity', '--in-use', '24'], { cwd });
    expect(room).toMatchObject({
      code: 0,
      stdout: '24 of 25 credentials in use; 1 more may be managed. State: active.\n',
    });
    const full = await licensor(['capacity', '--in-use', '25'], { cwd });
    expect(full.code).toBe(1);
    expect(full.stderr).toMatch(/^error: ERR_CAPACITY_REACHED: The license allows 25 credentials/);
    const fullJson = await licensor(['capacity', '--in-use', '25', '--json'], { cwd });
    expect(JSON.parse(fullJson.stdout).error.code).toBe('ERR_CAPACITY_REACHED');

    const json = JSON.parse((await licensor(['show', '--json'], { cwd })).stdout);
    expect(json).toMatchObject({
      state: 'active',
      credentials: 25,
      customer: 'Acme',
      type: 'perpetual',
    });

    const replay = await licensor(['apply', key], { cwd });
    expect(replay.code).toBe(1);
    expect(replay.stderr).toMatch(/^error: ERR_REVISION_NOT_NEWER: /);
    const replayJson = await licensor(['apply', key, '--json'], { cwd });
    expect(replayJson.code).toBe(1);
    expect(JSON.parse(replayJson.stdout)).toEqual({
      error: { code: 'ERR_REVISION_NOT_NEWER', message: expect.any(String) },
    });

    const audit = JSON.parse((await licensor(['audit', '--json'], { cwd })).stdout);
    expect(audit[0]).toMatchObject({
      action: 'challenge',
      outcome: 'ok',
      operator: { id: 'alice' },
    });
  });

  it('reads a key from stdin, and refuses an operator without the administrator role', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'licensor-cli-'));
    const state = ['--state', join(dir, 'state'), '--trust', join(cwd, 'vendor.jwks.json')];
    const challenge = (await licensor(['challenge', ...state], { cwd })).stdout.trim();
    const key = answer(challenge);
    const refused = await licensor(['apply', '-', ...state, '--role', 'operator'], {
      cwd,
      stdin: key,
    });
    expect(refused.code).toBe(1);
    expect(refused.stderr).toMatch(/^error: ERR_NOT_AUTHORIZED: /);
    const applied = await licensor(['apply', '-', ...state], { cwd, stdin: `${key}\n` });
    expect(applied.code).toBe(0);
    const second = (await licensor(['challenge', ...state], { cwd })).stdout.trim();
    const armoured = armour(answer(second, { rev: 2 }), 'license');
    const pasted = await licensor(['apply', armoured, ...state, '--json'], { cwd });
    expect(pasted.code).toBe(0);
    expect(JSON.parse(pasted.stdout)).toMatchObject({ revision: 2 });
  });

  it('prints the switch-request challenge, lists it, and runs the online check', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'licensor-cli-'));
    const state = ['--state', join(dir, 'state'), '--trust', join(cwd, 'vendor.jwks.json')];
    const challenge = (await licensor(['challenge', ...state], { cwd })).stdout.trim();
    server.register(challenge);
    const now = Math.floor(Date.now() / 1000);
    await licensor(
      ['apply', answer(challenge, { model: 'subscription', term: term(now, 30, 7) }), ...state],
      { cwd },
    );

    const activate = await licensor(['activate', 'perpetual', ...state, '--armour'], { cwd });
    expect(activate.code).toBe(0);
    expect(activate.stdout).toMatch(
      /^-----BEGIN LICENSOR CHALLENGE-----\n[\s\S]+-----END LICENSOR CHALLENGE-----\n$/,
    );
    const requests = await licensor(['requests', ...state], { cwd });
    expect(requests.stdout).toMatch(/^chl_\S+ {2}switch to perpetual {2}made /);

    server.plan = (check, id) =>
      statusFor(check, id, new FrozenClock(Math.floor(Date.now() / 1000)));
    const verified = await licensor(['verify', ...state], {
      cwd,
      env: { LICENSOR_VERIFY_URL: server.url },
    });
    expect(verified).toMatchObject({ code: 0, stderr: '' });
    expect(verified.stdout).toMatch(/^Last verify result: VALID at \S+Z\. State: active\.\n$/);
    const down = await licensor(['verify', ...state, '--url', await unreachableUrl()], { cwd });
    expect(down.code).toBe(1);
    expect(down.stderr).toMatch(/^error: ERR_VERIFY_UNREACHABLE: .* State: grace\.\n$/);
  });

  it('shows a switch the vendor declined after verify, and cancels a request with requests cancel (#16.14)', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'licensor-cli-'));
    const state = ['--state', join(dir, 'state'), '--trust', join(cwd, 'vendor.jwks.json')];
    const challenge = (await licensor(['challenge', ...state], { cwd })).stdout.trim();
    server.register(challenge);
    await licensor(['apply', answer(challenge), ...state], { cwd });
    const activate = (
      await licensor(['activate', 'subscription', ...state], { cwd })
    ).stdout.trim();
    const asked = verifyChallenge(activate).claims.jti;

    const clock = new FrozenClock(Math.floor(Date.now() / 1000));
    server.plan = (check, id) =>
      statusFor(check, id, clock, {
        rejected: [
          { chal: challengeHash(activate), at: clock.seconds, reason: 'not this quarter' },
        ],
      });
    const verified = await licensor(['verify', ...state], {
      cwd,
      env: { LICENSOR_VERIFY_URL: server.url },
    });
    expect(verified).toMatchObject({ code: 0, stderr: '' });
    expect(verified.stdout).toContain(
      `Request ${asked} (switch to subscription) DECLINED by the vendor at `,
    );
    expect(verified.stdout).toMatch(/: not this quarter\.\n$/);
    const show = await licensor(['show', ...state], { cwd });
    expect(show.stdout).toMatch(
      new RegExp(
        `Last closed request: +switch to subscription \\(${asked}\\), DECLINED by the vendor at \\S+: not this quarter\n`,
      ),
    );
    expect(show.stdout).toMatch(/Pending requests: +0\n/);

    // A new request, cancelled here by the operator.
    const again = (await licensor(['activate', 'subscription', ...state], { cwd })).stdout.trim();
    const id = verifyChallenge(again).claims.jti;
    const viewer = await licensor(['requests', 'cancel', id, ...state, '--role', 'operator'], {
      cwd,
    });
    expect(viewer.code).toBe(1);
    expect(viewer.stderr).toMatch(/^error: ERR_NOT_AUTHORIZED: /);
    const unknown = await licensor(['requests', 'cancel', 'chl_nothere', ...state], { cwd });
    expect(unknown.code).toBe(1);
    expect(unknown.stderr).toMatch(
      /^error: ERR_REQUEST_UNKNOWN: There is no pending request chl_nothere/,
    );
    const cancelled = await licensor(
      ['requests', 'cancel', id, ...state, '--reason', 'asked twice', '--operator', 'bob'],
      { cwd },
    );
    expect(cancelled).toMatchObject({ code: 0, stderr: '' });
    expect(cancelled.stdout).toMatch(
      new RegExp(`^Cancelled request ${id} \\(switch to subscription\\)\\.`),
    );
    const listed = await licensor(['requests', ...state], { cwd });
    expect(listed.stdout).toMatch(/^No pending requests\.\n\nClosed without a key:\n/);
    expect(listed.stdout).toContain(`${id}  switch to subscription  cancelled by bob at `);
    expect(listed.stdout).toContain(`${asked}  switch to subscription  DECLINED by the vendor at `);
    const closed = JSON.parse(
      (await licensor(['requests', '--closed', '--json', ...state], { cwd })).stdout,
    );
    expect(closed.map((r: { id: string; outcome: string }) => [r.id, r.outcome])).toEqual([
      [id, 'cancelled'],
      [asked, 'rejected'],
    ]);
  });

  it('lists entitlements in show, answers capacity --limit, and sends the usage it is given', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'licensor-cli-'));
    const state = ['--state', join(dir, 'state'), '--trust', join(cwd, 'vendor.jwks.json')];
    const asked = await licensor(
      [
        'challenge',
        ...state,
        '--product',
        'CMS@5.2.0',
        '--feature',
        'mobile-credentials',
        '--ask-limit',
        'sites=4',
        '--limit-in-use',
        'sites=2',
        '--in-use',
        '3',
      ],
      { cwd },
    );
    expect(asked.code).toBe(0);
    const challenge = asked.stdout.trim();
    expect(verifyChallenge(challenge).claims).toMatchObject({
      v: 2,
      request: { features: ['mobile-credentials'], limits: [{ name: 'sites', value: 4 }] },
      usage: { credentialsInUse: 3, limits: [{ name: 'sites', inUse: 2 }] },
    });
    server.register(challenge);
    const key = answer(challenge, {
      v: 2,
      plan: 'pln_standard',
      products: [{ name: 'CMS', versions: ['5'] }],
      features: [{ name: 'hsm-support' }, { name: 'mobile-credentials' }],
      limits: [{ name: 'sites', value: 4 }],
    });
    const product = ['--product', 'CMS@5.2.0'];
    expect((await licensor(['apply', key, ...state, ...product], { cwd })).code).toBe(0);
    const shown = await licensor(['show', ...state, ...product], { cwd });
    expect(shown.stdout).toMatch(/^Plan:\s+pln_standard$/m);
    expect(shown.stdout).toMatch(/^Products:\s+CMS 5$/m);
    expect(shown.stdout).toMatch(/^Features:\s+hsm-support, mobile-credentials$/m);
    expect(shown.stdout).toMatch(/^Limits:\s+sites 4$/m);

    const room = await licensor(
      ['capacity', '--limit', 'sites', '--in-use', '2', ...state, ...product],
      { cwd },
    );
    expect(room).toMatchObject({
      code: 0,
      stdout: '2 of 4 sites in use; 2 more may be used. State: active.\n',
    });
    const full = await licensor(
      ['capacity', '--limit', 'sites', '--in-use', '4', ...state, ...product],
      { cwd },
    );
    expect(full.code).toBe(1);
    expect(full.stderr).toMatch(
      /^error: ERR_CAPACITY_REACHED: The license allows 4 sites and 4 are in use/,
    );
    expect((await licensor(['capacity', '--limit', 'Sites', ...state], { cwd })).code).toBe(2);

    // Another product's installation refuses the key.
    const other = await licensor(['apply', key, ...state, '--product', 'Other@1.0'], { cwd });
    expect(other.code).toBe(1);
    expect(other.stderr).toMatch(/^error: ERR_LICENSE_OTHER_PRODUCT: /);

    server.plan = (check, id) =>
      statusFor(check, id, new FrozenClock(Math.floor(Date.now() / 1000)));
    const before = server.checks.length;
    const verified = await licensor(['verify', '--in-use', '3', ...state, ...product], {
      cwd,
      env: { LICENSOR_VERIFY_URL: server.url },
    });
    expect(verified.code).toBe(0);
    expect(server.checks.slice(before).map((c) => c.usage.credentialsInUse)).toEqual([3]);
    const activate = await licensor(
      ['activate', 'subscription', '--in-use', '3', ...state, ...product],
      { cwd },
    );
    expect(verifyChallenge(activate.stdout.trim()).claims.usage.credentialsInUse).toBe(3);
  });

  it('keeps every challenge when several runs start at once on a new state directory', async () => {
    const dir = join(mkdtempSync(join(tmpdir(), 'licensor-cli-')), 'state');
    const state = ['--state', dir, '--trust', join(cwd, 'vendor.jwks.json')];
    const runs = await Promise.all(
      [1, 2, 3, 4, 5].map(() => licensor(['challenge', ...state], { cwd })),
    );
    expect(runs.map((run) => run.code)).toEqual([0, 0, 0, 0, 0]);
    const installations = new Set(
      runs.map((run) => verifyChallenge(run.stdout.trim()).installationId),
    );
    expect(installations.size).toBe(1);
    const requests = JSON.parse((await licensor(['requests', '--json', ...state], { cwd })).stdout);
    expect(requests).toHaveLength(5);
  });

  it.each([
    [['frobnicate']],
    [['apply']],
    [['show', 'extra']],
    [['show', '--credentials', '5']],
    [['challenge', '--credentials', 'many']],
    [['activate', 'monthly']],
    [['verify', '--no-such-option']],
  ])('exits 2 on a usage error: %j', async (args) => {
    const run = await licensor([...args, '--trust', 'vendor.jwks.json'], { cwd });
    expect(run.code).toBe(2);
    // The error and one line on where the help is: not the whole help (#16.19).
    expect(run.stderr).toMatch(/^error: ERR_USAGE: [^\n]+\nSee `licensor( \w+)? --help`\.\n$/);
    expect(run.stdout).toBe('');
  });

  it('refuses a --trust with other keys than the saved ones unless --replace-trust is given', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'licensor-cli-'));
    const state = ['--state', join(dir, 'state')];
    const widened = widenedJwks(7);
    writeFileSync(join(dir, 'widened.jwks.json'), JSON.stringify(widened));
    const first = await licensor(['challenge', ...state], {
      cwd,
      env: { LICENSOR_TRUST: join(cwd, 'vendor.jwks.json') },
    });
    expect(first.code).toBe(0);
    const saved = readFileSync(join(dir, 'state', 'trust.jwks.json'), 'utf8');

    const swapped = await licensor(
      ['challenge', ...state, '--trust', join(dir, 'widened.jwks.json')],
      { cwd },
    );
    expect(swapped).toMatchObject({ code: 1, stdout: '' });
    expect(swapped.stderr).toMatch(/^error: ERR_TRUST_CHANGED: .*--replace-trust/);
    const byEnv = await licensor(['show', ...state, '--json'], {
      cwd,
      env: { LICENSOR_TRUST: join(dir, 'widened.jwks.json') },
    });
    expect(byEnv.code).toBe(1);
    expect(JSON.parse(byEnv.stdout).error.code).toBe('ERR_TRUST_CHANGED');
    expect(readFileSync(join(dir, 'state', 'trust.jwks.json'), 'utf8')).toBe(saved);

    const same = await licensor(['show', ...state, '--trust', join(cwd, 'vendor.jwks.json')], {
      cwd,
    });
    expect(same.code).toBe(0);
    const replaced = await licensor(
      ['show', ...state, '--trust', join(dir, 'widened.jwks.json'), '--replace-trust'],
      { cwd },
    );
    expect(replaced.code).toBe(0);
    expect(JSON.parse(readFileSync(join(dir, 'state', 'trust.jwks.json'), 'utf8'))).toEqual(
      widened,
    );
  });

  it('reports a damaged audit trail with exit 1 instead of crashing', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'licensor-cli-'));
    const state = ['--state', join(dir, 'state'), '--trust', join(cwd, 'vendor.jwks.json')];
    expect((await licensor(['challenge', ...state], { cwd })).code).toBe(0);
    writeFileSync(join(dir, 'state', 'audit.jsonl'), '{"at":1}\n{"at":2}\n');
    const run = await licensor(['audit', ...state], { cwd });
    expect(run.code).toBe(1);
    expect(run.stderr).toMatch(/^error: ERR_STATE_CORRUPT: .*audit\.jsonl line 1/);
  });

  it('audit --verify: exit 0 for the chain as written, exit 1 naming an entry edited by hand', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'licensor-cli-'));
    const state = ['--state', join(dir, 'state'), '--trust', join(cwd, 'vendor.jwks.json')];
    expect((await licensor(['challenge', ...state], { cwd })).code).toBe(0);
    expect((await licensor(['show', ...state], { cwd })).code).toBe(0);
    const held = await licensor(['audit', '--verify', ...state], { cwd });
    expect(held.code).toBe(0);
    expect(held.stdout).toMatch(/^The audit trail holds: 2 entries/);
    const path = join(dir, 'state', 'audit.jsonl');
    writeFileSync(
      path,
      readFileSync(path, 'utf8').replace('"action":"challenge"', '"action":"view"'),
    );
    const broken = await licensor(['audit', '--verify', '--json', ...state], { cwd });
    expect(broken.code).toBe(1);
    expect(JSON.parse(broken.stdout)).toMatchObject({
      ok: false,
      firstBroken: { entry: 1, reason: expect.stringMatching(/edited/) },
    });
    expect((await licensor(['audit', '--verify', '--limit', '2', ...state], { cwd })).code).toBe(2);
  });

  it('refuses more than 4 MiB piped to apply - as invalid input naming stdin (exit 1), the state unchanged', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'licensor-cli-'));
    const state = ['--state', join(dir, 'state'), '--trust', join(cwd, 'vendor.jwks.json')];
    expect((await licensor(['challenge', ...state], { cwd })).code).toBe(0);
    const before = readFileSync(join(dir, 'state', 'state.json'), 'utf8');
    const run = await licensor(['apply', '-', ...state], {
      cwd,
      stdin: 'A'.repeat(MAX_ARGUMENT_BYTES + 1),
    });
    expect(run).toMatchObject({ code: 1, stdout: '' });
    expect(run.stderr).toBe(
      `error: ERR_INPUT_INVALID: stdin holds more than ${MAX_ARGUMENT_BYTES} bytes, more than the license key can be. Give the file that holds the license key only.\n`,
    );
    expect(readFileSync(join(dir, 'state', 'state.json'), 'utf8')).toBe(before);
  });

  it('says a key file that cannot be read is invalid input (exit 1), not a usage error', async () => {
    const run = await licensor(['apply', '@missing-key.txt', '--trust', 'vendor.jwks.json'], {
      cwd,
    });
    expect(run.code).toBe(1);
    expect(run.stderr).toMatch(/^error: ERR_INPUT_INVALID: cannot read \S*missing-key\.txt/);
  });

  it.each([
    [['challenge', '--customer', 'Acme\u0007Corp'], '--customer'],
    [['challenge', '--customer', 'x'.repeat(201)], '--customer'],
    [['challenge', '--credentials', '2000000000'], '--credentials'],
  ])('refuses a challenge option beyond the schema as a usage error: %j', async (args, flag) => {
    const run = await licensor([...args, '--trust', 'vendor.jwks.json'], { cwd });
    expect(run.code).toBe(2);
    expect(run.stderr.startsWith(`error: ERR_USAGE: ${flag} `)).toBe(true);
    expect(run.stdout).toBe('');
  });

  it('prints its version, and says in --help what --role defaults to', async () => {
    const version = await licensor(['--version'], { cwd });
    expect(version).toMatchObject({ code: 0, stdout: `licensor ${SDK_VERSION}\n` });
    const help = await licensor(['--help'], { cwd });
    expect(help.stdout).toMatch(/--role ROLE[\s\S]+Default: system-administrator/);
  });

  it('needs --trust the first time a state directory is used', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'licensor-cli-'));
    const run = await licensor(['challenge'], { cwd: dir });
    expect(run.code).toBe(2);
    expect(run.stderr).toContain('--trust FILE');
  });

  it('says a wrong --state holds no license state, instead of asking for --trust (#16.19)', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'licensor-cli-'));
    const wrong = join(dir, 'wrong', 'path');
    const run = await licensor(['--state', wrong, 'show'], { cwd: dir });
    expect(run).toMatchObject({ code: 1, stdout: '' });
    expect(run.stderr).toMatch(
      /^error: ERR_STATE_NOT_FOUND: There is no license state in \S+wrong\/path \(no installation-key\.json or state\.json there\)\. Check --state/,
    );
    expect(run.stderr).not.toMatch(/is required/);
    expect(existsSync(wrong)).toBe(false);
  });

  it('answers --credentials -5 in its own words, and prints --version (#16.19)', async () => {
    const run = await licensor(
      ['challenge', '--credentials', '-5', '--trust', 'vendor.jwks.json'],
      {
        cwd,
      },
    );
    expect(run).toMatchObject({ code: 2, stdout: '' });
    expect(run.stderr).toBe(
      'error: ERR_USAGE: --credentials must be a whole number from 1 to 1000000000; got "-5"\nSee `licensor challenge --help`.\n',
    );
    const version = await licensor(['-V'], { cwd });
    expect(version).toMatchObject({ code: 0, stdout: `licensor ${SDK_VERSION}\n` });
  });

  it('licensor trust applies pasted key sets offline, refuses a forged one (exit 1, state unchanged), and show says the version', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'licensor-cli-'));
    const stateDir = join(dir, 'state');
    const state = ['--state', stateDir, '--trust', join(cwd, 'vendor.jwks.json')];
    const challenge = (await licensor(['challenge', ...state], { cwd })).stdout.trim();
    expect((await licensor(['apply', answer(challenge), ...state], { cwd })).code).toBe(0);

    writeFileSync(join(dir, 'keysets.txt'), armour(v1, 'keyset') + armour(v2, 'keyset'));
    const applied = await licensor(['trust', `@${join(dir, 'keysets.txt')}`, ...state], { cwd });
    expect(applied).toMatchObject({
      code: 0,
      stderr: '',
      stdout: expect.stringMatching(/^Trusting vendor key set version 2 \(was 0\): 4 keys\.\n$/),
    });

    const before = readFileSync(join(stateDir, 'state.json'), 'utf8');
    const refused = await licensor(['trust', '-', ...state, '--json'], { cwd, stdin: forged });
    expect(refused.code).toBe(1);
    expect(JSON.parse(refused.stdout).error.code).toBe('ERR_KEYSET_UNTRUSTED');
    const rollback = await licensor(['trust', v1, ...state], { cwd });
    expect(rollback.code).toBe(1);
    expect(rollback.stderr).toMatch(/^error: ERR_KEYSET_STALE: /);
    expect(readFileSync(join(stateDir, 'state.json'), 'utf8')).toBe(before);

    const shown = await licensor(['show', ...state], { cwd });
    expect(shown.stdout).toMatch(/^Vendor key set:\s+version 2$/m);
    // The new license key (L2) now signs keys this installation accepts.
    const next = (await licensor(['challenge', ...state], { cwd })).stdout.trim();
    const key = answer(next, { rev: 2 }, L2);
    expect((await licensor(['apply', key, ...state], { cwd })).code).toBe(0);
  });
});
