// The edition upgrade over real processes: a Standard plan, an add-on asked for in a challenge,
// approved at the portal, seen by the CMS.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Cms } from '../src/cms.js';
import { DEMO_PRODUCT, type EditionRecord, runEditionUpgrade } from '../src/edition-upgrade.js';
import { Product } from '../src/product.js';
import { quiet, tempDir } from './helpers.js';

describe('an edition upgrade', () => {
  const data = tempDir('edition');
  let product: Product;
  let record: EditionRecord;

  beforeAll(async () => {
    product = await Product.start({ dataDir: data.path, cacheTtlMs: 1000 });
    const cms = new Cms(
      `${data.path}/cms`,
      product.jwksFile,
      'alice',
      `${DEMO_PRODUCT.name}@${DEMO_PRODUCT.version}`,
    );
    record = await runEditionUpgrade(product, cms, quiet);
  });
  afterAll(async () => {
    await product?.stop();
    data.remove();
  });

  it('licenses the CMS on the Standard plan with its included feature only', () => {
    expect(record.onStandard).toMatchObject({ state: 'active', credentials: 250 });
    expect(record.onStandard.features.map((f) => f.name)).toEqual(['hsm-support']);
    expect(record.onStandard.limits).toEqual([
      { name: 'sites', value: 3, until: null, active: true },
    ]);
  });

  it('shows the vendor the asked add-on as allowed by the plan', () => {
    expect(record.upgradeInspection.findings.map((f) => f.kind)).toContain('features-asked');
    expect(record.upgradeInspection.entitlements.features).toContainEqual({
      name: 'mobile-credentials',
      asked: true,
      held: false,
      allowed: true,
    });
    expect(record.upgradeInspection.suggestedTerms).toMatchObject({
      features: ['mobile-credentials'],
    });
  });

  it('the CMS sees the add-on after applying the approved key, and its sites limit', () => {
    expect(record.afterUpgrade.features.map((f) => f.name)).toEqual([
      'hsm-support',
      'mobile-credentials',
    ]);
    expect(record.afterUpgrade.revision).toBe(2);
    expect(record.sitesCapacity).toBe('2 of 3 sites in use; 1 more may be used. State: active.\n');
  });
});
