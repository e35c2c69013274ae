// The vendor side as it runs in production, in small: two verify-service instances on one
// store, one of them restarted mid-run; and a subscription that runs out.
import { readFileSync } from 'node:fs';
import { createLicensor, FileStore } from '@licensor/sdk';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Cms } from '../src/cms.js';
import { PortalClient } from '../src/portal-client.js';
import { Product } from '../src/product.js';
import { tempDir } from './helpers.js';

interface IssueAnswer {
  licenseKey: string;
  license: { id: string; revision: number };
}
interface LicenseDetail {
  checks: Array<{ outcome: string; installationId: string; at: number | string }>;
}

const DAY = 86_400;

describe('two verify-service instances on one store', () => {
  const data = tempDir('scale');
  let product: Product;
  let vendor: PortalClient;
  let cms: Cms;
  let licenseId: string;
  const endpoint = (i: number) => `${product.verifyUrls[i]}/v1/checks`;

  beforeAll(async () => {
    product = await Product.start({ dataDir: data.path, verifyInstances: 2 });
    vendor = await PortalClient.login(
      product.portalUrl,
      product.vendor.name,
      product.vendor.password,
    );
    cms = new Cms(`${data.path}/cms`, product.jwksFile);
    const challenge = await cms.getChallenge({ credentials: 50, customer: 'Globex' });
    const issued = await vendor.post<IssueAnswer>('/challenges/issue', {
      challenge,
      terms: {
        customerName: 'Globex',
        model: 'subscription',
        credentials: 50,
        termDays: 30,
        graceDays: 7,
      },
    });
    licenseId = issued.license.id;
    await cms.upgrade(issued.licenseKey);
  });
  afterAll(async () => {
    await product?.stop();
    data.remove();
  });

  it('give the same answer for the same license', async () => {
    const [a, b] = [await cms.verifyLicense(endpoint(0)), await cms.verifyLicense(endpoint(1))];
    expect(a.outcome).toBe('VALID');
    expect(b.outcome).toBe('VALID');
    expect(a.info.revision).toBe(b.info.revision);
    expect(a.info.term).toEqual(b.info.term);
  });

  it('keep every recorded check when one instance is restarted mid-run', async () => {
    // Count by time, not by a count taken first: the previous test's records may still be in
    // an instance's batch (written every 250 ms) when this one starts.
    const startedAt = Date.now();
    let answered = 0;
    for (let i = 0; i < 4; i++) if ((await cms.verifyLicense(endpoint(0))).ok) answered += 1;
    await product.restartVerify(0); // SIGTERM: the instance flushes its batched records
    for (let i = 0; i < 4; i++) if ((await cms.verifyLicense(endpoint(0))).ok) answered += 1;
    await product.restartVerify(0);
    expect(answered).toBe(8);
    const { checks } = await vendor.get<LicenseDetail>(`/licenses/${licenseId}`);
    expect(checks.filter((c) => new Date(c.at).getTime() >= startedAt)).toHaveLength(8);
  });

  it('both answer SUSPENDED after the vendor suspends the license', async () => {
    await vendor.post(`/licenses/${licenseId}/suspend`, { reason: 'e2e: unpaid invoice' });
    // Each instance may cache a license's record for its documented bound (a few seconds).
    const deadline = Date.now() + 20_000;
    const outcomes = ['', ''];
    while (Date.now() < deadline && outcomes.some((o) => o !== 'SUSPENDED')) {
      for (const i of [0, 1]) outcomes[i] = (await cms.verifyLicense(endpoint(i))).outcome ?? '';
      if (outcomes.some((o) => o !== 'SUSPENDED')) await new Promise((r) => setTimeout(r, 500));
    }
    expect(outcomes).toEqual(['SUSPENDED', 'SUSPENDED']);
    expect((await cms.viewLicense()).state).toBe('suspended');
  });
});

describe('a subscription past its term and grace', () => {
  const data = tempDir('expiry');
  let product: Product;
  let cms: Cms;

  beforeAll(async () => {
    product = await Product.start({ dataDir: data.path });
    const vendor = await PortalClient.login(
      product.portalUrl,
      product.vendor.name,
      product.vendor.password,
    );
    cms = new Cms(`${data.path}/cms`, product.jwksFile);
    const challenge = await cms.getChallenge({ credentials: 3, customer: 'Initech' });
    const issued = await vendor.post<IssueAnswer>('/challenges/issue', {
      challenge,
      terms: {
        customerName: 'Initech',
        model: 'subscription',
        credentials: 3,
        termDays: 1,
        graceDays: 1,
      },
    });
    await cms.upgrade(issued.licenseKey);
    expect((await cms.verifyLicense(`${product.verifyUrls[0]}/v1/checks`)).outcome).toBe('VALID');
  });
  afterAll(async () => {
    await product?.stop();
    data.remove();
  });

  // The CMS process, days later: the same installation state, read by the SDK with a clock
  // that has moved on (the SDK takes its clock as an option; nothing else is replaced).
  function cmsAt(secondsFromNow: number) {
    const trust = JSON.parse(readFileSync(product.jwksFile, 'utf8'));
    const later = Date.now() + secondsFromNow * 1000;
    return createLicensor({
      store: new FileStore(`${data.path}/cms`),
      trust,
      product: { name: 'vSEC:CMS', version: '6.0' },
      now: () => later,
    });
  }

  it('admits new credentials inside the term', async () => {
    const licensor = cmsAt(0);
    await expect(licensor.assertCanManage(2, 1)).resolves.toBeUndefined();
  });

  it('stops admitting new credentials after term end plus grace', async () => {
    const licensor = cmsAt(3 * DAY);
    expect((await licensor.getLicenseInfo({ id: 'e2e', roles: ['viewer'] })).state).toBe('expired');
    await expect(licensor.assertCanManage(0, 1)).rejects.toMatchObject({
      code: 'ERR_LICENSE_EXPIRED',
    });
  });
});
