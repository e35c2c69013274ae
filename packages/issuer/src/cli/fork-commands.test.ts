import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeEach, describe, expect, it } from 'vitest';
import { chainSteps } from '../../test/support/chain-steps.js';
import { TestInstallation } from '../../test/support/fixtures.js';
import { runCli } from '../../test/support/run-cli.js';
import { openStore } from '../store/open-store.js';

let data: string;
const cli = (args: string[]) => runCli(['--data', data, '--operator', 'tester', ...args]);

beforeEach(async () => {
  data = mkdtempSync(join(tmpdir(), 'licensor-issuer-forks-'));
  await cli(['init']);
});

/** A license whose installation was copied: the verify service saw the copy diverge. */
async function forkedLicense(): Promise<string> {
  const installation = new TestInstallation();
  const issued = await cli([
    'issue',
    installation.challenge({ at: Date.now() }),
    '--customer',
    'Acme Corp',
    '--credentials',
    '10',
    '--model',
    'perpetual',
    '--json',
  ]);
  const licenseId = JSON.parse(issued.stdout).license.id as string;
  const store = await openStore({ dataDir: data });
  const steps = chainSteps(store.chains, installation.id, licenseId, Date.now);
  const step = (presented: string | null, token: string, address: string) =>
    steps(presented, token, address, 7);
  const start = await step(null, 's', '10.1.1.1');
  const original = await step(start.next, 'o', '10.1.1.1');
  const copy = await step(start.next, 'c', '10.2.2.2');
  await step(original.next, 'o2', '10.1.1.1');
  await step(copy.next, 'c2', '10.2.2.2');
  await store.close();
  return licenseId;
}

describe('licensor-issuer forks', () => {
  it('lists the fork with both sides, sets the license policy, and closes it', async () => {
    const licenseId = await forkedLicense();
    const listed = await cli(['forks', 'list']);
    expect(listed.code).toBe(0);
    expect(listed.stdout).toMatch(
      new RegExp(
        `^frk_\\S+\\s+${licenseId}\\s+open\\s+warn\\s+1\\s+\\S+ 10\\.1\\.1\\.1, 7 in use\\s+\\S+ 10\\.2\\.2\\.2, 7 in use$`,
        'm',
      ),
    );
    const [fork] = JSON.parse(
      (await cli(['forks', 'list', '--license', licenseId, '--json'])).stdout,
    );
    expect((await cli(['forks', 'policy', licenseId, 'suspend'])).stdout).toMatch(/SUSPENDED/);
    const bad = await cli(['forks', 'policy', licenseId, 'explode']);
    expect(bad.code).toBe(2);
    expect((await cli(['forks', 'close', fork.id, '--reason', 'copy shut down'])).code).toBe(0);
    const again = await cli(['forks', 'close', fork.id]);
    expect(again).toMatchObject({ code: 1 });
    expect(again.stderr).toMatch(/ERR_FORK_CLOSED/);
    expect((await cli(['forks', 'list', '--status', 'open'])).stdout).toMatch(/^No forks/);
  });

  it("sets a plan's fork policy, suspend-both; refuses an unknown plan and changes nothing", async () => {
    await cli([
      'plans',
      'add',
      JSON.stringify({ name: 'Strict', model: 'perpetual', credentials: 10 }),
    ]);
    const set = await cli(['forks', 'plan-policy', 'Strict', 'suspend-both']);
    expect(set).toMatchObject({ code: 0 });
    expect(set.stdout).toMatch(/SUSPENDED to both sides while the fork is open/);
    const unknown = await cli(['forks', 'plan-policy', 'Nosuch', 'warn']);
    expect(unknown).toMatchObject({ code: 1 });
    expect(unknown.stderr).toMatch(/ERR_PLAN_NOT_FOUND/);
    const audit = JSON.parse((await cli(['audit', '--json'])).stdout) as { action: string }[];
    expect(audit.filter((e) => e.action === 'plan.fork-policy')).toHaveLength(1);
  });
});
