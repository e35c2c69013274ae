// `pnpm demo`: the seed page's whole journey against the product that `pnpm start` runs,
// printed the way the CMS operator and the vendor see each step.
import { randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { Cms } from './cms.js';
import { DEMO_PRODUCT, runEditionUpgrade } from './edition-upgrade.js';
import { runJourney, type Say } from './journey.js';
import { bins, repoRoot, runOk } from './processes.js';
import { Product, type VendorUser } from './product.js';

const dataDir = resolve(process.env.LICENSOR_DATA ?? join(repoRoot, '.licensor-data'));
const portalUrl = process.env.LICENSOR_PORTAL_URL ?? 'http://127.0.0.1:4000';
const verifyUrl = process.env.LICENSOR_VERIFY_URL ?? 'http://127.0.0.1:4001';
const storeArgs = ['--data', dataDir];

async function reachable(url: string): Promise<boolean> {
  try {
    return (await fetch(url)).ok;
  } catch {
    return false;
  }
}

/** The demo logs in as its own vendor user, made once with `licensor-issuer users add`. */
async function demoVendor(): Promise<VendorUser> {
  const file = join(dataDir, 'demo-user.json');
  if (existsSync(file)) return JSON.parse(readFileSync(file, 'utf8')) as VendorUser;
  const vendor = {
    name: `demo-${randomBytes(3).toString('hex')}`,
    password: randomBytes(12).toString('base64url'),
  };
  await runOk(bins.issuer, [...storeArgs, 'users', 'add', vendor.name, '--role', 'issuer'], {
    env: { LICENSOR_USER_PASSWORD: vendor.password },
  });
  writeFileSync(file, JSON.stringify(vendor), { mode: 0o600 });
  return vendor;
}

async function main(): Promise<void> {
  if (
    !(await reachable(`${portalUrl}/api/v1/health`)) ||
    !(await reachable(`${verifyUrl}/healthz`))
  ) {
    console.error(
      `Licensor is not running at ${portalUrl} and ${verifyUrl}: start it with \`pnpm start\` in another terminal, then run \`pnpm demo\` again.`,
    );
    process.exit(1);
  }
  const product = Product.attach({ dataDir, portalUrl, verifyUrl, vendor: await demoVendor() });
  const cms = new Cms(mkdtempSync(join(tmpdir(), 'licensor-demo-cms-')), product.jwksFile);
  let step = 0;
  const say: Say = (actor, what, detail) => {
    step += 1;
    console.log(`\n${String(step).padStart(2)}. [${actor}] ${what}`);
    if (detail) console.log(detail.replace(/^/gm, '      '));
  };
  console.log(`CMS installation state: ${cms.stateDir}`);
  await runJourney(product, cms, say);
  console.log('\nThe whole seed page ran end to end.');
  console.log('\nAn edition upgrade: a Standard plan, an add-on asked for and approved.');
  const edition = new Cms(
    mkdtempSync(join(tmpdir(), 'licensor-demo-cms-')),
    product.jwksFile,
    'alice',
    `${DEMO_PRODUCT.name}@${DEMO_PRODUCT.version}`,
  );
  console.log(`CMS installation state (edition upgrade): ${edition.stateDir}`);
  await runEditionUpgrade(product, edition, say);
  console.log('\nThe CMS sees the add-on it asked for.');
  console.log(
    `\nThe two CMS installations' states are kept for a look (pnpm exec licensor --state DIR show):\n  ${cms.stateDir}\n  ${edition.stateDir}\nDelete them when done.`,
  );
}

main().catch((error: unknown) => {
  const message = error instanceof Error ? error.message : String(error);
  console.error(`demo failed: ${message}`);
  if (message.includes('ERR_LOGIN_FAILED')) {
    // The demo's vendor user is made in the store of LICENSOR_DATA; another portal has not got it.
    console.error(
      `The portal at ${portalUrl} does not know the demo's user, which was made in the store at ${dataDir}. ` +
        'Run `pnpm demo` with LICENSOR_DATA set to the folder that portal runs on ' +
        '(`pnpm start` prints it: "Licensor is running (data: ...)").',
    );
  }
  process.exit(1);
});
