import { existsSync, mkdirSync, mkdtempSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { armour, Keyring, normaliseToken, verifyLicense } from '@licensor/token';
import Database from 'better-sqlite3';
import { beforeEach, describe, expect, it } from 'vitest';
import { TestInstallation } from '../../test/support/fixtures.js';
import { runCli } from '../../test/support/run-cli.js';
import { openIssuer } from '../domain/open-issuer.js';
import { openStore } from '../store/open-store.js';

let data: string;
const cli = (args: string[], options: Parameters<typeof runCli>[1] = {}) =>
  runCli(['--data', data, '--operator', 'tester', ...args], options);
const issueArgs = ['--customer', 'Acme Corp', '--credentials', '25', '--model', 'perpetual'];

beforeEach(() => {
  data = mkdtempSync(join(tmpdir(), 'licensor-issuer-cli-'));
});

describe('licensor-issuer', () => {
  it('init warns loudly without a passphrase and is idempotent', async () => {
    const first = await cli(['init']);
    expect(first.code).toBe(0);
    expect(first.stderr).toMatch(/WARNING: LICENSOR_KEY_PASSPHRASE is not set/);
    const second = await cli(['init']);
    expect(second.stdout).toMatch(/already initialised/);
  });

  it('init with a passphrase seals the keys and does not warn', async () => {
    const result = await cli(['init', '--json'], {
      env: {
        LICENSOR_KEY_PASSPHRASE: 'a long passphrase',
        LICENSOR_STATUS_KEY_PASSPHRASE: 'another',
      },
    });
    expect(result.stderr).toBe('');
    const created = JSON.parse(result.stdout).created as { protection: string }[];
    expect(created.map((k) => k.protection)).toEqual(['encrypted', 'encrypted']);
  });

  it('init on an initialised store refuses a secret that does not open its keys, and writes nothing', async () => {
    const right = {
      LICENSOR_KEY_PASSPHRASE: 'the issuing passphrase, long',
      LICENSOR_STATUS_KEY_PASSPHRASE: 'the status passphrase, long',
    };
    expect((await cli(['init'], { env: right })).code).toBe(0);
    const before = (await cli(['keys', 'usage', '--json'], { env: right })).stdout;
    for (const wrong of [
      { ...right, LICENSOR_KEY_PASSPHRASE: 'not the issuing passphrase' },
      { ...right, LICENSOR_STATUS_KEY_PASSPHRASE: 'not the status passphrase' },
    ]) {
      const refused = await cli(['init'], { env: wrong });
      expect(refused.code).toBe(1);
      expect(refused.stdout).toBe('');
      expect(refused.stderr).toMatch(/^error: ERR_PASSPHRASE_WRONG: signing key \S+ cannot be/);
      const json = await cli(['init', '--json'], { env: wrong });
      expect(JSON.parse(json.stdout).error.code).toBe('ERR_PASSPHRASE_WRONG');
    }
    // No key, key set version or usage changed by the refusals.
    expect((await cli(['keys', 'usage', '--json'], { env: right })).stdout).toBe(before);
    // The right secrets, or only one role's (the other not given), are still "already initialised".
    expect((await cli(['init'], { env: right })).stdout).toMatch(/^already initialised\n/);
    const statusOnly = { LICENSOR_STATUS_KEY_PASSPHRASE: right.LICENSOR_STATUS_KEY_PASSPHRASE };
    expect(await cli(['init'], { env: statusOnly })).toMatchObject({ code: 0 });
  });

  it('warns, and seals all the same, when a new license key gets a passphrase under 16 characters', async () => {
    const short = {
      LICENSOR_KEY_PASSPHRASE: 'fifteen chars!!',
      LICENSOR_STATUS_KEY_PASSPHRASE: 's',
    };
    const init = await cli(['init', '--json'], { env: short });
    expect(init.code).toBe(0);
    expect(
      JSON.parse(init.stdout).created.map((k: { protection: string }) => k.protection),
    ).toEqual(['encrypted', 'encrypted']);
    // Why (the verify service's role reads sealed keys; a guess is cheap) and how to make one.
    expect(init.stderr).toMatch(
      /^\nWARNING: LICENSOR_KEY_PASSPHRASE has 15 characters, fewer than 16: the new license key is sealed under a weak secret\.\n/,
    );
    expect(init.stderr).toMatch(/verify service's database role can read the sealed license keys/);
    expect(init.stderr).toMatch(/0\.1 s \(scrypt\)/);
    expect(init.stderr).toContain('`openssl rand -base64 32`');
    // Only for a new license key: not for a status key, nor an init that makes none.
    const rotated = await cli(['keys', 'rotate', '--use', 'license'], { env: short });
    expect(rotated.code).toBe(0);
    expect(rotated.stderr).toContain('WARNING: LICENSOR_KEY_PASSPHRASE has 15 characters');
    expect(await cli(['keys', 'rotate', '--use', 'status'], { env: short })).toMatchObject({
      code: 0,
      stderr: '',
    });
    expect(await cli(['init'], { env: short })).toMatchObject({ code: 0, stderr: '' });
  });

  it('counts the passphrase in characters: from 16 on, no warning', async () => {
    const env = (passphrase: string) => ({
      env: { LICENSOR_KEY_PASSPHRASE: passphrase, LICENSOR_STATUS_KEY_PASSPHRASE: 's' },
    });
    expect(await cli(['init'], env('sixteen chars ok'))).toMatchObject({ code: 0, stderr: '' });
    expect(await cli(['keys', 'rotate'], env('sixteen chars ok'))).toMatchObject({
      code: 0,
      stderr: '',
    });
    // 15 characters in 17 bytes (UTF-8): still short (another store: one passphrase per store).
    const other = mkdtempSync(join(tmpdir(), 'licensor-issuer-cli-'));
    expect((await runCli(['--data', other, 'init'], env('passphrase élèv'))).stderr).toContain(
      'WARNING: LICENSOR_KEY_PASSPHRASE has 15 characters',
    );
  });

  it("warns when a new license key is sealed under the examples' change-me placeholder, however long", async () => {
    const placeholder = {
      env: {
        LICENSOR_KEY_PASSPHRASE: 'change-me-issuing-secret',
        LICENSOR_STATUS_KEY_PASSPHRASE: 'change-me-status-secret',
      },
    };
    const init = await cli(['init'], placeholder);
    expect(init.code).toBe(0);
    expect(init.stderr).toMatch(
      /^\nWARNING: LICENSOR_KEY_PASSPHRASE is the examples' placeholder \(`change-me…`\), which anyone can read: the new license key is sealed under a weak secret\.\n/,
    );
    expect(init.stderr).toContain('`openssl rand -base64 32`');
  });

  it('says on every command that the active keys are plain files, until they are sealed (#16.20)', async () => {
    await cli(['init']);
    const listed = await cli(['licenses', 'list']);
    expect(listed.code).toBe(0);
    expect(listed.stderr).toMatch(
      /^WARNING: the active license and status signing keys are NOT encrypted .*keys rotate --use license.*keys rotate --use status/,
    );
    const sealed = {
      env: { LICENSOR_KEY_PASSPHRASE: 'a passphrase', LICENSOR_STATUS_KEY_PASSPHRASE: 'another' },
    };
    for (const use of ['license', 'status']) {
      const rotated = await cli(['keys', 'rotate', '--use', use, '--json'], sealed);
      expect(rotated.code).toBe(0);
      const kid = JSON.parse(rotated.stdout).kid as string;
      expect((await cli(['keys', 'activate', kid], sealed)).code).toBe(0);
    }
    const after = await cli(['licenses', 'list'], sealed);
    expect(after).toMatchObject({ code: 0, stderr: '' });
  });

  it('issue prints only the license key, which the exported JWKS verifies', async () => {
    await cli(['init']);
    const jwks = JSON.parse((await cli(['keys', 'export'])).stdout);
    const installation = new TestInstallation();
    const result = await cli(['issue', installation.challenge({ at: Date.now() }), ...issueArgs]);
    expect(result.code).toBe(0);
    expect(result.stdout.trim().split('.')).toHaveLength(3);
    const { claims } = verifyLicense(result.stdout.trim(), Keyring.fromJwks(jwks));
    expect(claims).toMatchObject({
      sub: installation.id,
      credentials: 25,
      customer: { name: 'Acme Corp' },
    });
  });

  it('issue --armour prints the BEGIN/END block that verifies as the same key (#16.15)', async () => {
    await cli(['init']);
    const jwks = JSON.parse((await cli(['keys', 'export'])).stdout);
    const installation = new TestInstallation();
    const result = await cli([
      'issue',
      installation.challenge({ at: Date.now() }),
      ...issueArgs,
      '--armour',
    ]);
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(
      /^-----BEGIN LICENSOR LICENSE-----\n[\s\S]+\n-----END LICENSOR LICENSE-----\n$/,
    );
    const { claims } = verifyLicense(
      normaliseToken(result.stdout, 'license'),
      Keyring.fromJwks(jwks),
    );
    expect(claims.sub).toBe(installation.id);
  });

  it('inspect suggests --customer NAME, not --customer "", when the challenge names none (#16.15)', async () => {
    await cli(['init']);
    const challenge = new TestInstallation().challenge({
      at: Date.now(),
      request: { kind: 'license', credentials: 10 },
    });
    const inspected = await cli(['inspect', challenge]);
    expect(inspected.stdout).toMatch(
      /Suggested: +--customer NAME --credentials 10 --model perpetual\n/,
    );
    expect(inspected.stdout).not.toContain('--customer ""');
  });

  it('refuses a second license for one installation unless --supersede (#16.12)', async () => {
    await cli(['init']);
    const installation = new TestInstallation();
    expect(
      (await cli(['issue', installation.challenge({ at: Date.now() }), ...issueArgs])).code,
    ).toBe(0);
    const second = installation.challenge({ at: Date.now() });
    const refused = await cli(['issue', second, ...issueArgs]);
    expect(refused).toMatchObject({ code: 1, stdout: '' });
    expect(refused.stderr).toMatch(
      /^error: ERR_INSTALLATION_LICENSED: .*already holds license lic_\S+ \(Acme Corp, active\).*--supersede/,
    );
    const replaced = await cli(['issue', second, ...issueArgs, '--supersede']);
    expect(replaced.code).toBe(0);
    const licenses = JSON.parse((await cli(['licenses', 'list', '--json'])).stdout);
    expect(licenses.map((l: { state: string }) => l.state).sort()).toEqual(['active', 'revoked']);
  });

  it('says plainly that a customer rename does not reach the CMS until the next key (#16.13)', async () => {
    await cli(['init']);
    await cli(['issue', new TestInstallation().challenge({ at: Date.now() }), ...issueArgs]);
    const [customer] = JSON.parse((await cli(['customers', 'list', '--json'])).stdout);
    const renamed = await cli(['customers', 'rename', customer.id, 'Acme Holdings']);
    expect(renamed.code).toBe(0);
    expect(renamed.stdout).toBe(`customer ${customer.id} is now "Acme Holdings"\n`);
    expect(renamed.stderr).toMatch(
      /^renamed in the vendor's records only: licenses and keys already issued keep the old name, and the CMS shows it until the next key/,
    );
    expect((await cli(['customers', 'rename', '--help'])).stdout).toMatch(
      /does not reach the CMS by itself/,
    );
  });

  it('reads the challenge from a file and from stdin', async () => {
    await cli(['init']);
    const file = join(data, 'challenge.txt');
    writeFileSync(file, `${new TestInstallation().challenge({ at: Date.now() })}\n`);
    expect((await cli(['issue', `@${file}`, ...issueArgs])).code).toBe(0);
    const fromStdin = await cli(['issue', '-', ...issueArgs], {
      stdin: new TestInstallation().challenge({ at: Date.now() }),
    });
    expect(fromStdin.code).toBe(0);
    expect((await cli(['licenses', 'list', '--json'])).stdout).toMatch(/lic_/);
  });

  it('accepts an armoured challenge pasted as the argument', async () => {
    await cli(['init']);
    const armoured = armour(new TestInstallation().challenge({ at: Date.now() }), 'challenge');
    const result = await cli(['issue', armoured, ...issueArgs]);
    expect(result.code, result.stderr).toBe(0);
    expect(result.stdout.trim().split('.')).toHaveLength(3);
  });

  it('refuses with exit 1 and error: CODE: message, or a JSON error with --json', async () => {
    await cli(['init']);
    const challenge = new TestInstallation().challenge({ at: Date.now() });
    await cli(['issue', challenge, ...issueArgs]);
    const refused = await cli([
      'issue',
      challenge,
      '--customer',
      'Acme Corp',
      '--credentials',
      '26',
      '--model',
      'perpetual',
    ]);
    expect(refused).toMatchObject({ code: 1, stdout: '' });
    expect(refused.stderr).toMatch(/^error: ERR_CHALLENGE_USED: /);
    const asJson = await cli(['revoke', 'lic_nothere', '--json']);
    expect(asJson.code).toBe(1);
    expect(JSON.parse(asJson.stdout)).toEqual({
      error: { code: 'ERR_LICENSE_NOT_FOUND', message: expect.any(String) },
    });
  });

  it.each([
    [['frobnicate']],
    [['issue']],
    [['issue', 'x', '--customer', 'A', '--credentials', 'many', '--model', 'perpetual']],
    [['issue', 'x', '--credentials', '3', '--model', 'perpetual']],
    [['keys', 'rotate', '--use', 'signing']],
    [['licenses']],
    [['revoke', 'lic_a', '--customer', 'x']],
  ])('exits 2 on a usage error: %j', async (args) => {
    await cli(['init']);
    const result = await cli(args);
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/^error: ERR_USAGE: /);
  });

  it('refuses a zero-byte licensor.db instead of listing "no licenses" (#16.7)', async () => {
    writeFileSync(join(data, 'licensor.db'), '');
    const listed = await cli(['licenses', 'list']);
    expect(listed.code).toBe(1);
    expect(listed.stdout).toBe('');
    expect(listed.stderr).toMatch(/^error: ERR_STORE_CORRUPT: .*licensor\.db is empty \(0 bytes\)/);
    expect((await cli(['init'])).code).toBe(1);
    expect(statSync(join(data, 'licensor.db')).size).toBe(0);
  });

  it('finds the store where pnpm start keeps it: $LICENSOR_DATA, else ./.licensor-data (#16.16)', async () => {
    const fromEnv = await runCli(['init'], { env: { LICENSOR_DATA: data }, cwd: tmpdir() });
    expect(fromEnv.code, fromEnv.stderr).toBe(0);
    expect(existsSync(join(data, 'licensor.db'))).toBe(true);
    const cwd = mkdtempSync(join(tmpdir(), 'licensor-issuer-cwd-'));
    const byDefault = await runCli(['init'], { env: { LICENSOR_DATA: undefined }, cwd });
    expect(byDefault.code, byDefault.stderr).toBe(0);
    expect(existsSync(join(cwd, '.licensor-data', 'licensor.db'))).toBe(true);
    expect((await runCli(['--help'])).stdout).toMatch(
      /default \$LICENSOR_DATA, else \.\/\.licensor-data/,
    );
  });

  it('prints a usage error and one line on where the help is, not the whole help (#16.19)', async () => {
    await cli(['init']);
    const result = await cli([
      'issue',
      'x',
      '--customer',
      'A',
      '--credentials',
      '-5',
      '--model',
      'perpetual',
    ]);
    expect(result).toMatchObject({ code: 2, stdout: '' });
    expect(result.stderr).toBe(
      'error: ERR_USAGE: --credentials must be a whole number from 1 to 1000000000; got "-5"\nSee `licensor-issuer issue --help`.\n',
    );
    // 1e3 and a number past any bound: the same words, the term's real range.
    for (const [option, value, range] of [
      ['--credentials', '1e3', '1 to 1000000000'],
      ['--credentials', '99999999999999999999', '1 to 1000000000'],
    ] as const) {
      const refused = await cli([
        'issue',
        'x',
        '--customer',
        'A',
        '--model',
        'perpetual',
        option,
        value,
      ]);
      expect(refused.stderr).toContain(`${option} must be a whole number from ${range}; got`);
    }
    const grace = await cli([
      'issue',
      'x',
      '--customer',
      'A',
      '--model',
      'subscription',
      '--credentials',
      '5',
      '--grace-days',
      '-1',
    ]);
    expect(grace.stderr).toContain('--grace-days must be a whole number from 1 to 3660; got "-1"');
    // Given twice: which one was meant is not guessed.
    const twice = await cli(['issue', 'x', '--credentials', '50', '--credentials', '60']);
    expect(twice).toMatchObject({ code: 2 });
    expect(twice.stderr).toContain('--credentials is given twice; give it once');
    const version = await cli(['--version']);
    expect(version).toMatchObject({ code: 0, stdout: 'licensor-issuer 0.1.0\n' });
  });

  it("refuses terms beyond the token's bounds as a terms error naming the field and the bound (#10.1)", async () => {
    await cli(['init']);
    const challenge = new TestInstallation().challenge({ at: Date.now() });
    const subscription = ['--customer', 'Acme', '--credentials', '5', '--model', 'subscription'];
    const grace = await cli(['issue', challenge, ...subscription, '--grace-days', '5000']);
    expect(grace).toMatchObject({ code: 1, stdout: '' });
    expect(grace.stderr).toMatch(
      /^error: ERR_TERMS_INVALID: terms: graceDays must be a whole number of days from 1 to 3660 \(--grace-days\)\n/,
    );
    const credentials = await cli([
      'issue',
      challenge,
      '--customer',
      'Acme',
      '--credentials',
      '1000000001',
      '--model',
      'perpetual',
      '--json',
    ]);
    expect(JSON.parse(credentials.stdout)).toEqual({
      error: {
        code: 'ERR_TERMS_INVALID',
        message: 'terms: credentials must be a whole number from 1 to 1000000000',
      },
    });
    expect((await cli(['licenses', 'list', '--json'])).stdout.trim()).toBe('[]');
    const help = await cli(['issue', '--help']);
    expect(help.stdout).toMatch(/--grace-days G +offline grace in days, 1 to 3660/);
  });

  it('walks a license through suspend, resume, renew and revoke', async () => {
    await cli(['init']);
    const installation = new TestInstallation();
    await cli([
      'issue',
      installation.challenge({ at: Date.now() }),
      '--customer',
      'Beta',
      '--credentials',
      '5',
      '--model',
      'subscription',
      '--term-days',
      '30',
    ]);
    const [license] = JSON.parse((await cli(['licenses', 'list', '--json'])).stdout);
    expect((await cli(['suspend', license.id, '--reason', 'unpaid'])).stdout).toMatch(
      /is suspended/,
    );
    expect((await cli(['resume', license.id])).stdout).toMatch(/is active/);
    const renewed = await cli(['renew', license.id, '--term-days', '365']);
    expect(renewed.code).toBe(0);
    expect(renewed.stderr).toMatch(/renewed until/);
    expect((await cli(['revoke', license.id])).stdout).toMatch(/is revoked/);
    const shown = await cli(['licenses', 'show', license.id]);
    expect(shown.stdout).toMatch(/State:\s+revoked/);
    expect(shown.stdout).toMatch(/renew/);
  });

  it('licenses show: Last seen moves with online checks, and the last check is the answer sent (#16.15)', async () => {
    await cli(['init']);
    await cli(['issue', new TestInstallation().challenge({ at: Date.now() }), ...issueArgs]);
    const [license] = JSON.parse((await cli(['licenses', 'list', '--json'])).stdout);
    const before = (await cli(['licenses', 'show', license.id])).stdout;
    expect(before).toMatch(/Last check:\s+-\n/);
    const at = Date.now() + 86_400_000;
    const store = await openStore({ dataDir: data });
    await store.recordChecks([
      {
        id: 'chk_0000000000000000000001',
        at,
        licenseId: license.id,
        installationId: license.installationId,
        sdkVersion: '0.1.0',
        credentialsInUse: 3,
        outcome: 'VALID',
      },
    ]);
    await store.close();
    const shown = (await cli(['licenses', 'show', license.id])).stdout;
    const stamp = new Date(at).toISOString().replace(/\.\d{3}Z$/, '');
    expect(shown).toMatch(new RegExp(`Last seen:\\s+${stamp}`));
    expect(shown).toMatch(new RegExp(`Last check:\\s+${stamp}\\S*, answered VALID`));
  });

  it('renew --armour prints the key for scripts and says on stderr that the CMS refuses it pasted by hand', async () => {
    await cli(['init']);
    const jwks = JSON.parse((await cli(['keys', 'export'])).stdout);
    const installation = new TestInstallation();
    const subscription = ['--customer', 'Beta', '--credentials', '5', '--model', 'subscription'];
    await cli(['issue', installation.challenge({ at: Date.now() }), ...subscription]);
    const [license] = JSON.parse((await cli(['licenses', 'list', '--json'])).stdout);
    const renewed = await cli(['renew', license.id, '--term-days', '30', '--armour']);
    expect(renewed.code).toBe(0);
    expect(renewed.stdout).toMatch(/^-----BEGIN LICENSOR LICENSE-----\n/);
    const { claims } = verifyLicense(
      normaliseToken(renewed.stdout, 'license'),
      Keyring.fromJwks(jwks),
    );
    // It answers no challenge: only the online check delivers it.
    expect(claims).toMatchObject({ lid: license.id, rev: 2, chal: null });
    expect(renewed.stderr).toMatch(
      /^renewed until \S+; the installation receives it at its next online check\n/,
    );
    expect(renewed.stderr).toMatch(
      /not for the customer: the CMS refuses a renewal pasted by hand, armoured or not \(ERR_CHALLENGE_REQUIRED\)/,
    );
    expect((await cli(['renew', '--help'])).stdout).toMatch(
      /--armour +print the key .*for your records:\s+not to send/,
    );
  });

  it('lists and approves a model-switch request', async () => {
    await cli(['init']);
    const installation = new TestInstallation();
    await cli(['issue', installation.challenge({ at: Date.now() }), ...issueArgs]);
    const [license] = JSON.parse((await cli(['licenses', 'list', '--json'])).stdout);
    const activate = installation.challenge({
      at: Date.now(),
      license: { id: license.id, revision: 1, customerName: 'Acme Corp', model: 'perpetual' },
      request: { kind: 'model-switch', model: 'subscription' },
    });
    const inspected = await cli(['inspect', activate]);
    expect(inspected.stdout).toMatch(/Needs approval: request (req_\S+)/);
    // The hint runs as printed: it names the same data folder.
    expect(inspected.stdout).toMatch(new RegExp(`: licensor-issuer --data ${data} approve req_`));
    // ...and shows the terms it approves with (#16.11).
    expect(inspected.stdout).toMatch(/approve req_\S+ --term-days 365 --grace-days 30\n/);
    const refused = await cli(['issue', activate, ...issueArgs]);
    expect(refused.stderr).toMatch(/ERR_APPROVAL_REQUIRED/);
    const [request] = JSON.parse(
      (await cli(['requests', 'list', '--status', 'pending', '--json'])).stdout,
    );
    const approved = await cli(['approve', request.id, '--term-days', '90']);
    expect(approved.code).toBe(0);
    expect(approved.stderr).toMatch(
      /^approved: lic_\S+ revision 2 \(subscription, until \S+\); the installation receives it at its next online check/,
    );
    expect((await cli(['requests', 'list', '--json'])).stdout).toMatch(/"approved"/);
    // Run again: the same terms give the same key; others are refused, naming the first (#16.10).
    const again = await cli(['approve', request.id, '--term-days', '90']);
    expect(again).toMatchObject({ code: 0, stdout: approved.stdout });
    expect(again.stderr).toMatch(/^already approved \(transaction txn_\S+, the same key again\)/);
    const other = await cli(['approve', request.id, '--term-days', '365']);
    expect(other).toMatchObject({ code: 1, stdout: '' });
    expect(other.stderr).toMatch(
      /^error: ERR_CHALLENGE_USED: this request was already approved with other terms \(transaction txn_\S+; asked now: term 365 days, not 90 days\)/,
    );
  });

  it('inspect names a plain challenge for another model as a model switch; issue refuses it and writes nothing', async () => {
    await cli(['init']);
    const installation = new TestInstallation();
    const subscription = ['--customer', 'Acme Corp', '--credentials', '25'];
    await cli([
      'issue',
      installation.challenge({ at: Date.now() }),
      ...subscription,
      '--model',
      'subscription',
    ]);
    const [license] = JSON.parse((await cli(['licenses', 'list', '--json'])).stdout);
    // `licensor challenge --model perpetual` on the subscription.
    const challenge = installation.challenge({
      at: Date.now(),
      license: { id: license.id, revision: 1, customerName: 'Acme Corp', model: 'subscription' },
      request: { kind: 'license', model: 'perpetual' },
    });
    const inspected = await cli(['inspect', challenge]);
    expect(inspected.stdout).toMatch(/Asks for: {6}a perpetual license key\n/);
    expect(inspected.stdout).toMatch(
      /- the installation asks for a perpetual license, but license lic_\S+ is subscription: that is a model switch/,
    );
    expect(inspected.stdout).not.toMatch(/Needs approval/);
    expect(inspected.stdout).toMatch(/Suggested: .* --model subscription\n/);
    const audit = (await cli(['audit', '--json'])).stdout;
    const refused = await cli(['issue', challenge, ...subscription, '--model', 'perpetual']);
    expect(refused).toMatchObject({ code: 1, stdout: '' });
    expect(refused.stderr).toMatch(
      /^error: ERR_APPROVAL_REQUIRED: license lic_\S+ is subscription: a perpetual key for it is a model switch.*licensor activate perpetual.*licensor-issuer approve REQ/,
    );
    expect((await cli(['audit', '--json'])).stdout).toBe(audit);
    const [after] = JSON.parse((await cli(['licenses', 'list', '--json'])).stdout);
    expect(after).toMatchObject({ id: license.id, model: 'subscription', revision: 1 });
  });

  it('approve --help gives the term defaults (#16.11)', async () => {
    const help = await cli(['approve', '--help']);
    expect(help.code).toBe(0);
    expect(help.stdout).toMatch(/approve REQUEST_ID[\s\S]*default 365[\s\S]*default 30/);
  });

  it('users add takes the password from stdin, from the environment, or generates one shown once', async () => {
    const fromStdin = await cli(['users', 'add', 'alice', '--role', 'admin', '--password-stdin'], {
      stdin: 'correct horse battery\n',
    });
    expect(fromStdin.stdout).toBe('added alice (admin)\n');
    const fromEnv = await cli(['users', 'add', 'bob', '--role', 'issuer'], {
      env: { LICENSOR_USER_PASSWORD: 'another long password' },
    });
    expect(fromEnv.stdout).toBe('added bob (issuer)\n');
    const oneTime = await cli(['users', 'add', 'erin', '--role', 'admin', '--one-time'], {
      env: { LICENSOR_USER_PASSWORD: 'erin was given this one' },
    });
    expect(oneTime.stdout).toBe('added erin (admin)\n');
    const generated = await cli(['users', 'add', 'carol', '--role', 'viewer', '--json']);
    const { password } = JSON.parse(generated.stdout);
    expect(password).toMatch(/^[A-Za-z0-9_-]{24}$/);
    expect(generated.stderr).toMatch(/shown this once/);
    expect(generated.stderr).toMatch(/one-time: the portal asks for a new one at the first login/);
    const weak = await cli(['users', 'add', 'dave', '--role', 'viewer', '--password-stdin'], {
      stdin: 'short',
    });
    expect(weak).toMatchObject({ code: 1 });
    expect(weak.stderr).toMatch(/ERR_PASSWORD_WEAK/);
    const listed = await cli(['users', 'list']);
    expect(listed.stdout).toMatch(/alice\s+admin/);
    expect((await cli(['audit'])).stdout).toMatch(/user\.add/);
    // Given on stdin or in the environment: the user's own; generated or --one-time: one-time.
    const store = await openStore({ dataDir: data });
    const issuer = await openIssuer({ store });
    expect(await issuer.users.authenticate('alice', 'correct horse battery')).not.toHaveProperty(
      'passwordOneTime',
    );
    expect(await issuer.users.authenticate('bob', 'another long password')).not.toHaveProperty(
      'passwordOneTime',
    );
    expect(await issuer.users.authenticate('carol', password)).toMatchObject({
      passwordOneTime: true,
    });
    expect(await issuer.users.authenticate('erin', 'erin was given this one')).toMatchObject({
      passwordOneTime: true,
    });
    await store.close();
  });

  it('users reset-2fa turns off a lost second factor, audited; without one nothing changes', async () => {
    await cli(['users', 'add', 'alice', '--role', 'admin'], {
      env: { LICENSOR_USER_PASSWORD: 'first-password-12' },
    });
    let store = await openStore({ dataDir: data });
    const issuer = await openIssuer({ store });
    const alice = (await issuer.users.list()).find((u) => u.name === 'alice')!;
    const record = {
      userId: alice.id,
      state: 'pending' as const,
      secret: { protection: 'plain' as const, base32: 'JBSWY3DPEHPK3PXP' },
      createdAt: 1,
      enabledAt: null,
    };
    await store.twoFactor.putPendingTwoFactor(record);
    await store.twoFactor.enableTwoFactor(alice.id, 2, ['h1']);
    await store.close();

    const reset = await cli(['users', 'reset-2fa', 'alice']);
    expect(reset).toMatchObject({ code: 0 });
    expect(reset.stdout).toContain("alice's two-factor login is off");
    store = await openStore({ dataDir: data });
    expect(await store.twoFactor.getTwoFactor(alice.id)).toBeNull();
    expect(await store.listAuditEvents({ action: '2fa.reset' })).toHaveLength(1);
    await store.close();

    const again = await cli(['users', 'reset-2fa', 'alice']);
    expect(again).toMatchObject({
      code: 0,
      stdout: 'alice has no two-factor login: nothing changed\n',
    });
    store = await openStore({ dataDir: data });
    expect(await store.listAuditEvents({ action: '2fa.reset' })).toHaveLength(1);
    await store.close();
    expect((await cli(['users', 'reset-2fa', 'nobody'])).code).toBe(1);
  });

  it('users set-password replaces a forgotten password (given, or generated and shown once)', async () => {
    await cli(['users', 'add', 'alice', '--role', 'admin'], {
      env: { LICENSOR_USER_PASSWORD: 'first-password-12' },
    });
    const given = await cli(['users', 'set-password', 'alice', '--password-stdin'], {
      stdin: 'second-password-12\n',
    });
    expect(given).toMatchObject({ code: 0, stdout: 'alice has a new password\n' });
    const generated = await cli(['users', 'set-password', 'alice']);
    expect(generated.code).toBe(0);
    const password = /password: (\S+)/.exec(generated.stdout)![1]!;
    expect(generated.stderr).toContain('shown this once');
    const store = await openStore({ dataDir: data });
    const issuer = await openIssuer({ store });
    expect(await issuer.users.authenticate('alice', 'second-password-12')).toBeNull();
    // A generated password is one-time (the portal asks for her own); a given one is not.
    expect(await issuer.users.authenticate('alice', password)).toMatchObject({
      passwordOneTime: true,
    });
    await store.close();
    const unknown = await cli(['users', 'set-password', 'nobody', '--password-stdin'], {
      stdin: 'third-password-12\n',
    });
    expect(unknown.code).toBe(1);
  });

  it('refuses a command on a folder without a store, instead of making an empty one', async () => {
    const result = await cli(['licenses', 'list']);
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/^error: ERR_STORE_NOT_FOUND: no Licensor store in /);
    expect(result.stderr).toContain('pass --data');
    expect((await cli(['init'])).code).toBe(0);
    expect((await cli(['licenses', 'list'])).code).toBe(0);
  });

  it('refuses a SQLite file of another program in --data, even to init, and leaves it as it was', async () => {
    mkdirSync(data, { recursive: true });
    const file = join(data, 'licensor.db');
    const foreign = new Database(file);
    foreign.exec('CREATE TABLE invoices (x); INSERT INTO invoices VALUES (1);');
    foreign.close();
    const before = readFileSync(file);
    for (const args of [['licenses', 'list'], ['init']]) {
      const result = await cli(args);
      expect(result.code).toBe(1);
      expect(result.stderr).toMatch(
        /^error: ERR_STORE_CORRUPT: .*licensor\.db holds tables of another program \(invoices\) and no Licensor schema; it was left unchanged/,
      );
    }
    expect(readFileSync(file).equals(before)).toBe(true);
  });

  it('rotates, activates, retires and revokes keys; exports the key set versions', async () => {
    await cli(['init']);
    const list = async () =>
      JSON.parse((await cli(['keys', 'list', '--json'])).stdout) as {
        kid: string;
        purpose: string;
        status: string;
      }[];
    const old = (await list()).find((k) => k.purpose === 'status' && k.status === 'active')!;
    const rotated = JSON.parse((await cli(['keys', 'rotate', '--use', 'status', '--json'])).stdout);
    expect(rotated.status).toBe('next');
    expect((await cli(['keys', 'retire', rotated.kid])).stderr).toMatch(/ERR_KEY_STATE/);
    expect((await cli(['keys', 'retire', old.kid])).stderr).toMatch(/ERR_KEY_ACTIVE/);
    const activated = await cli(['keys', 'activate', rotated.kid]);
    expect(activated.code).toBe(0);
    expect(activated.stdout).toMatch(/now signs statuses/);
    expect((await list()).find((k) => k.kid === old.kid)?.status).toBe('retired');
    // Again: nothing left to do, and it says so.
    const again = await cli(['keys', 'activate', rotated.kid]);
    expect(again.code).toBe(0);
    expect(again.stdout).toBe(
      `${rotated.kid} is already active: it signs statuses, and nothing was left to do\n`,
    );
    expect((await cli(['keys', 'retire', old.kid])).code).toBe(0);
    const revoked = await cli(['keys', 'revoke', old.kid, '--reason', 'test']);
    expect(revoked.stdout).toMatch(/revoked .*no license depends on it/s);
    const exported = JSON.parse((await cli(['keys', 'export'])).stdout) as {
      keys: { kid: string }[];
    };
    expect(exported.keys.map((k) => k.kid)).not.toContain(old.kid);
    const keysets = (await cli(['keys', 'export', '--keyset'])).stdout;
    expect(keysets.match(/-----BEGIN LICENSOR KEY SET-----/g)).toHaveLength(4);
  });

  it('keys activate of a key init made says it is active already, and writes no audit entry', async () => {
    await cli(['init']);
    const keys = JSON.parse((await cli(['keys', 'list', '--json'])).stdout) as {
      kid: string;
      purpose: string;
      status: string;
    }[];
    const audit = (await cli(['audit', '--json'])).stdout;
    const license = keys.find((k) => k.purpose === 'license' && k.status === 'active')!;
    const status = keys.find((k) => k.purpose === 'status' && k.status === 'active')!;
    expect((await cli(['keys', 'activate', license.kid])).stdout).toBe(
      `${license.kid} is already active: it signs licenses, and no license was left to re-sign\n`,
    );
    expect((await cli(['keys', 'activate', status.kid])).stdout).toBe(
      `${status.kid} is already active: it signs statuses, and nothing was left to do\n`,
    );
    expect((await cli(['audit', '--json'])).stdout).toBe(audit);
  });

  it('keys activate of a license key says how many licenses it re-signed', async () => {
    await cli(['init']);
    for (let i = 0; i < 2; i++) {
      const issued = await cli([
        'issue',
        new TestInstallation().challenge({ at: Date.now() }),
        ...issueArgs,
      ]);
      expect(issued.code).toBe(0);
    }
    const rotated = JSON.parse(
      (await cli(['keys', 'rotate', '--use', 'license', '--json'])).stdout,
    );
    const initKid = (
      JSON.parse((await cli(['keys', 'list', '--json'])).stdout) as {
        kid: string;
        purpose: string;
        status: string;
      }[]
    ).find((k) => k.purpose === 'license' && k.status === 'active')!.kid;
    const activated = await cli(['keys', 'activate', rotated.kid]);
    expect(activated.stdout).toBe(
      `${rotated.kid} now signs licenses; the key it replaces is retired (${initKid}); re-signed 2 licenses\n`,
    );
    expect(
      JSON.parse((await cli(['keys', 'activate', rotated.kid, '--json'])).stdout),
    ).toMatchObject({ kid: rotated.kid, alreadyActive: true, resigned: 0 });
    expect((await cli(['keys', 'activate', rotated.kid])).stdout).toBe(
      `${rotated.kid} is already active: it signs licenses, and no license was left to re-sign\n`,
    );
  });

  it('issue --armour puts the key set versions the challenge lacks before the key (an offline bundle, #11)', async () => {
    await cli(['init']);
    const rotated = JSON.parse(
      (await cli(['keys', 'rotate', '--use', 'license', '--json'])).stdout,
    );
    expect((await cli(['keys', 'activate', rotated.kid])).code).toBe(0);
    const versions = (await cli(['keys', 'export', '--keyset', '--json'])).stdout;
    const newest = (JSON.parse(versions) as { seq: number }[]).at(-1)!.seq;
    const blocks = (text: string) =>
      [...text.matchAll(/-----BEGIN LICENSOR ([A-Z ]+)-----/g)].map((match) => match[1]);
    const issueFor = (options: { v?: 1 | 2; keyset?: number }) =>
      cli([
        'issue',
        new TestInstallation().challenge({ at: Date.now(), ...options }),
        ...issueArgs,
        '--armour',
      ]);
    // From the shipped keys (version 0) the chain starts at version 1; the key comes last.
    const fresh = await issueFor({ v: 2, keyset: 0 });
    expect(fresh.code).toBe(0);
    expect(blocks(fresh.stdout).at(-1)).toBe('LICENSE');
    expect(blocks(fresh.stdout).filter((b) => b === 'KEY SET').length).toBeGreaterThan(0);
    const current = await issueFor({ v: 2, keyset: newest });
    expect(blocks(current.stdout)).toEqual(['LICENSE']);
    // A version 1 SDK reads one block only: it never gets key sets.
    expect(blocks((await issueFor({ v: 1 })).stdout)).toEqual(['LICENSE']);
    // The compact form stays the key alone, and says on stderr what it leaves out.
    const compact = await cli([
      'issue',
      new TestInstallation().challenge({ at: Date.now(), v: 2, keyset: 0 }),
      ...issueArgs,
    ]);
    expect(compact.stdout.trim().split('.')).toHaveLength(3);
    expect(compact.stderr).toMatch(
      /does not carry the \d+ version\(s\) it lacks\. Print it with --armour/,
    );
    const compactCurrent = await cli([
      'issue',
      new TestInstallation().challenge({ at: Date.now(), v: 2, keyset: newest }),
      ...issueArgs,
    ]);
    expect(compactCurrent.stderr).not.toMatch(/--armour/);
  });

  it('keys list shows what each key signed and the installations on each key set version; a challenge naming an unpublished version is refused (#11)', async () => {
    await cli(['init']);
    const issued = await cli([
      'issue',
      new TestInstallation().challenge({ at: Date.now(), v: 2, keyset: 1 }),
      ...issueArgs,
    ]);
    expect(issued.code).toBe(0);
    const refused = await cli([
      'issue',
      new TestInstallation().challenge({ at: Date.now(), v: 2, keyset: 9 }),
      ...issueArgs,
    ]);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toMatch(/ERR_KEYSET_UNKNOWN/);
    const keys = JSON.parse((await cli(['keys', 'list', '--json'])).stdout) as {
      purpose: string;
      tokens: number;
      licenses: number;
    }[];
    expect(keys.find((k) => k.purpose === 'license')).toMatchObject({ tokens: 1, licenses: 1 });
    const text = (await cli(['keys', 'list'])).stdout;
    expect(text).toMatch(/1 tokens, 1 licenses/);
    expect(text).toMatch(/1 of 1 reporting installations trust key set version 1, the newest/);
    expect(text).toMatch(/1 \(newest\)\s+\S+\s+1\n/);
    const usage = JSON.parse((await cli(['keys', 'usage', '--json'])).stdout);
    expect(usage).toMatchObject({
      newestKeyset: 1,
      installationsReporting: 1,
      installationsOnNewest: 1,
      keysets: [
        { seq: 0, installations: 0 },
        { seq: 1, installations: 1 },
      ],
    });
  });

  it('prints help with exit 0', async () => {
    const result = await runCli(['--help']);
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(/usage: licensor-issuer/);
  });
});

describe('licensor-issuer help and refusals name what the command takes', () => {
  it('renew: its help gives the real default, and a refusal names --term-days once', async () => {
    const help = (await cli(['renew', '--help'])).stdout.replace(/\s+/g, ' ');
    expect(help).toContain(
      "(default: the plan's renewal days; required for a license without a plan)",
    );
    expect(help).not.toContain('for a new term');
    expect((await cli(['licenses', 'list', '--help'])).stdout.replace(/\s+/g, ' ')).toContain(
      'only licenses issued from this plan (id or name)',
    );
    await cli(['init']);
    const issued = await cli([
      'issue',
      new TestInstallation().challenge({ at: Date.now() }),
      '--customer',
      'Acme Corp',
      '--credentials',
      '5',
      '--model',
      'subscription',
      '--json',
    ]);
    const licenseId = JSON.parse(issued.stdout).license.id as string;
    const refused = await cli(['renew', licenseId]);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toBe(
      'error: ERR_TERMS_INVALID: terms: termDays is required (the license has no plan): give the days to add (--term-days)\n',
    );
  });

  it('customers rename with an empty name names its NAME argument, not --customer, and renames nothing', async () => {
    await cli(['init']);
    await cli(['issue', new TestInstallation().challenge({ at: Date.now() }), ...issueArgs]);
    const [customer] = JSON.parse((await cli(['customers', 'list', '--json'])).stdout);
    const refused = await cli(['customers', 'rename', customer.id, '']);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toMatch(/^error: ERR_TERMS_INVALID: terms: customerName .* \(NAME\)\n$/);
    expect(JSON.parse((await cli(['customers', 'list', '--json'])).stdout)).toEqual([customer]);
  });
});
