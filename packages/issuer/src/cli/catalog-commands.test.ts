import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Keyring, verifyLicense } from '@licensor/token';
import { beforeEach, describe, expect, it } from 'vitest';
import { STANDARD_PLAN, TestInstallation } from '../../test/support/fixtures.js';
import { runCli } from '../../test/support/run-cli.js';

let data: string;
const cli = (args: string[], options: Parameters<typeof runCli>[1] = {}) =>
  runCli(['--data', data, '--operator', 'tester', ...args], options);

const STANDARD = JSON.stringify(STANDARD_PLAN);

beforeEach(async () => {
  data = mkdtempSync(join(tmpdir(), 'licensor-issuer-catalog-'));
  await cli(['init']);
});

describe('licensor-issuer products and plans', () => {
  it('keeps a catalogue, issues from a plan with an add-on, and re-issues after a plan change', async () => {
    expect((await cli(['products', 'add', 'vSEC:CMS', '--versions', '6'])).code).toBe(0);
    const products = await cli(['products', 'list']);
    expect(products.stdout).toMatch(/^prd_\S+\s+vSEC:CMS\s+6\s+active$/m);
    expect((await cli(['plans', 'add', '-'], { stdin: STANDARD })).code).toBe(0);
    expect((await cli(['plans', 'list'])).stdout).toMatch(
      /Standard\s+1\s+subscription\s+100 \(50\.\.500\)\s+hsm-support\s+mobile-credentials,reporting\s+sites=3 \(1\.\.10\)\s+active/,
    );

    const jwks = Keyring.fromJwks(JSON.parse((await cli(['keys', 'export'])).stdout));
    const installation = new TestInstallation();
    const challenge = installation.challenge({ v: 2, at: Date.now() });
    const issued = await cli([
      'issue',
      challenge,
      '--customer',
      'Acme Corp',
      '--plan',
      'Standard',
      '--feature',
      'mobile-credentials',
      '--limit',
      'sites=5',
    ]);
    expect(issued).toMatchObject({ code: 0 });
    const { claims } = verifyLicense(issued.stdout.trim(), jwks);
    expect(claims).toMatchObject({
      v: 2,
      model: 'subscription',
      credentials: 100,
      features: [{ name: 'hsm-support' }, { name: 'mobile-credentials' }],
      limits: [{ name: 'sites', value: 5 }],
      products: [{ name: 'vSEC:CMS', versions: ['6'] }],
    });

    const byPlan = await cli(['licenses', 'list', '--plan', 'standard', '--json']);
    expect(JSON.parse(byPlan.stdout).map((l: { id: string }) => l.id)).toEqual([claims.lid]);
    const byFeature = await cli(['licenses', 'list', '--feature', 'audit', '--json']);
    expect(JSON.parse(byFeature.stdout)).toEqual([]);
    const expiring = await cli(['licenses', 'list', '--expiring', '400', '--json']);
    expect(JSON.parse(expiring.stdout)).toHaveLength(1);
    expect(
      JSON.parse((await cli(['licenses', 'list', '--expiring', '30', '--json'])).stdout),
    ).toEqual([]);

    const changed = await cli([
      'plans',
      'update',
      'Standard',
      '{"features":["audit","hsm-support"]}',
    ]);
    expect(changed.code).toBe(0);
    expect(changed.stderr).toMatch(/revision 2; 1 license\(s\) issued from an older revision/);
    const shown = await cli(['plans', 'show', 'Standard']);
    expect(shown.stdout).toContain(`${claims.lid}  Acme Corp  rev 1: features: + audit`);
    expect(shown.stdout).not.toContain('--cursor');
    const page = JSON.parse(
      (await cli(['plans', 'show', 'Standard', '--limit', '1', '--json'])).stdout,
    );
    expect(page).toMatchObject({ affected: [{ licenseId: claims.lid }], nextCursor: null });
    expect(await cli(['plans', 'show', 'Standard', '--limit', '1001'])).toMatchObject({ code: 2 });
    const badCursor = await cli(['plans', 'show', 'Standard', '--cursor', 'nope']);
    expect(badCursor).toMatchObject({ code: 1 });
    expect(badCursor.stderr).toMatch(
      /ERR_INPUT_INVALID: cursor is not a cursor this list gave out/,
    );
    const reissued = await cli(['reissue', claims.lid]);
    expect(reissued.code).toBe(0);
    const next = verifyLicense(reissued.stdout.trim(), jwks).claims;
    expect(next).toMatchObject({ rev: 2, chal: null });
    expect(next.features?.map((f) => f.name)).toEqual([
      'audit',
      'hsm-support',
      'mobile-credentials',
    ]);
    expect((await cli(['plans', 'show', 'Standard'])).stdout).not.toContain(claims.lid);
  });

  it('inspection shows asked features and limits against the plan', async () => {
    await cli(['products', 'add', 'vSEC:CMS']);
    await cli(['plans', 'add', STANDARD]);
    const installation = new TestInstallation();
    const first = await cli([
      'issue',
      installation.challenge({ v: 2, at: Date.now() }),
      '--customer',
      'Acme',
      '--plan',
      'Standard',
      '--json',
    ]);
    const license = JSON.parse(first.stdout).license;
    const challenge = installation.challenge({
      v: 2,
      at: Date.now(),
      license: { id: license.id, revision: 1, customerName: 'Acme', model: 'subscription' },
      request: { kind: 'license', features: ['mobile-credentials', 'teleport'] },
    });
    const inspected = await cli(['inspect', challenge]);
    expect(inspected.stdout).toMatch(/^Plan:\s+Standard \(revision 1\)$/m);
    expect(inspected.stdout).toContain('mobile-credentials [asked, allowed]');
    expect(inspected.stdout).toContain('teleport [asked, NOT allowed]');
    expect(inspected.stdout).toMatch(/^Suggested:\s+--plan pln_\S+ --feature mobile-credentials$/m);
  });

  it('approve --plan --feature --limit: a switch from a plan, within its bounds (#12)', async () => {
    await cli(['products', 'add', 'vSEC:CMS']);
    await cli(['plans', 'add', STANDARD]);
    const installation = new TestInstallation();
    const first = await cli([
      'issue',
      installation.challenge({ v: 2, at: Date.now() }),
      '--customer',
      'Acme',
      '--model',
      'perpetual',
      '--credentials',
      '100',
      '--json',
    ]);
    const license = JSON.parse(first.stdout).license;
    const inspected = await cli([
      'inspect',
      installation.challenge({
        v: 2,
        at: Date.now(),
        license: { id: license.id, revision: 1, customerName: 'Acme', model: 'perpetual' },
        request: { kind: 'model-switch', model: 'subscription' },
      }),
    ]);
    const requestId = /Needs approval: request (req_\S+)/.exec(inspected.stdout)![1]!;
    const approve = (...more: string[]) =>
      cli(['approve', requestId, '--plan', 'Standard', ...more]);
    const refused = await approve('--limit', 'sites=11');
    expect(refused).toMatchObject({ code: 1, stdout: '' });
    expect(refused.stderr).toMatch(/ERR_TERMS_INVALID.*sites/);
    const pending = await cli(['requests', 'list', '--status', 'pending', '--json']);
    expect(JSON.parse(pending.stdout).map((r: { id: string }) => r.id)).toEqual([requestId]);

    const approved = await approve('--feature', 'mobile-credentials', '--limit', 'sites=6');
    expect(approved.code).toBe(0);
    const jwks = Keyring.fromJwks(JSON.parse((await cli(['keys', 'export'])).stdout));
    const { claims } = verifyLicense(approved.stdout.trim(), jwks);
    expect(claims).toMatchObject({
      model: 'subscription',
      features: [{ name: 'hsm-support' }, { name: 'mobile-credentials' }],
      limits: [{ name: 'sites', value: 6 }],
    });
    const other = await approve('--limit', 'sites=7');
    expect(other.stderr).toMatch(/ERR_CHALLENGE_USED.*limits sites=7, not sites=6/);
  });

  it('refuses what the plan does not allow, naming the option, and a plan that contradicts itself', async () => {
    await cli(['products', 'add', 'vSEC:CMS']);
    await cli(['plans', 'add', STANDARD]);
    const challenge = new TestInstallation().challenge({ v: 2, at: Date.now() });
    const refused = await cli([
      'issue',
      challenge,
      '--customer',
      'Acme',
      '--plan',
      'Standard',
      '--limit',
      'sites=11',
    ]);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toMatch(
      /^error: ERR_TERMS_INVALID: terms: limits\.sites must be from 1 to 10 .* \(--limit\)$/m,
    );
    const teleport = await cli([
      'issue',
      challenge,
      '--customer',
      'Acme',
      '--plan',
      'Standard',
      '--feature',
      'teleport',
    ]);
    expect(teleport.stderr).toMatch(
      /ERR_TERMS_INVALID: .*"teleport" is not an add-on.*\(--feature\)/,
    );
    expect(JSON.parse((await cli(['licenses', 'list', '--json'])).stdout)).toEqual([]);
    const bad = await cli([
      'plans',
      'add',
      JSON.stringify({ name: 'Bad', model: 'perpetual', credentials: 5, termDays: 30 }),
    ]);
    expect(bad.code).toBe(1);
    expect(bad.stderr).toMatch(
      /^error: ERR_PLAN_INVALID: plan: termDays applies to subscription plans only/m,
    );
    expect((await cli(['issue', challenge, '--customer', 'Acme', '--limit', 'Sites=1'])).code).toBe(
      2,
    );
    expect((await cli(['plans', 'add', 'not json'])).code).toBe(2);
  });
});

describe('licensor-issuer keys --product (#12.1)', () => {
  it("rotates, lists and exports a product's own license key, and the product's licenses are signed by it", async () => {
    await cli(['products', 'add', 'vSEC:CMS', '--versions', '6']);
    await cli(['plans', 'add', '-'], { stdin: STANDARD });
    const rotated = await cli(['keys', 'rotate', '--product', 'vSEC:CMS', '--json']);
    expect(rotated.code).toBe(0);
    const key = JSON.parse(rotated.stdout) as { kid: string; product: string; status: string };
    expect(key).toMatchObject({ status: 'next', product: expect.stringMatching(/^prd_/) });
    expect((await cli(['keys', 'activate', key.kid])).code).toBe(0);
    const listed = await cli(['keys', 'list', '--product', 'vsec:cms']);
    expect(listed.stdout).toMatch(
      new RegExp(`^${key.kid}\\s+license\\s+${key.product}\\s+active`, 'm'),
    );
    expect(listed.stdout.trim().split('\n')).toHaveLength(2);

    const jwks = JSON.parse((await cli(['keys', 'export', '--product', 'vSEC:CMS'])).stdout);
    expect(jwks.keys.find((k: { kid: string }) => k.kid === key.kid)).toMatchObject({
      product: 'vSEC:CMS',
    });
    const vendorJwks = JSON.parse((await cli(['keys', 'export'])).stdout);
    expect(vendorJwks.keys.map((k: { kid: string }) => k.kid)).not.toContain(key.kid);
    const sets = (await cli(['keys', 'export', '--keyset', '--product', 'vSEC:CMS'])).stdout;
    expect(sets).toMatch(/-----BEGIN LICENSOR KEY SET-----/);

    const challenge = new TestInstallation().challenge({ v: 2, at: Date.now() });
    const issued = await cli(['issue', challenge, '--customer', 'Acme Corp', '--plan', 'Standard']);
    expect(verifyLicense(issued.stdout.trim(), Keyring.fromJwks(jwks)).kid).toBe(key.kid);
  });

  it('refuses an unknown product and a status key of a product, and writes no key', async () => {
    const before = (await cli(['keys', 'list'])).stdout;
    const unknown = await cli(['keys', 'rotate', '--product', 'Nope']);
    expect(unknown).toMatchObject({ code: 1 });
    expect(unknown.stderr).toMatch(/ERR_PRODUCT_NOT_FOUND/);
    await cli(['products', 'add', 'vSEC:CMS']);
    const status = await cli(['keys', 'rotate', '--use', 'status', '--product', 'vSEC:CMS']);
    expect(status).toMatchObject({ code: 1 });
    expect(status.stderr).toMatch(/ERR_INPUT_INVALID: .*--product/);
    expect((await cli(['keys', 'list'])).stdout).toBe(before);
  });
});
