import { describe, expect, it } from 'vitest';
import { CHROMIUM_FLAGS, chromiumPath, chromiumPlan, DEFAULT_CHROMIUM_PATH } from './index.js';

const there = () => true;
const absent = () => false;

describe('chromiumPlan', () => {
  it('runs when Chromium is at the path', () => {
    expect(chromiumPlan({}, there)).toMatchObject({ mode: 'run', path: DEFAULT_CHROMIUM_PATH });
  });

  it('skips with a message that says how to run it when Chromium is missing', () => {
    const plan = chromiumPlan({ CHROMIUM_PATH: '/nowhere/chromium' }, absent);
    expect(plan.mode).toBe('skip');
    expect(plan.message).toContain('no Chromium at /nowhere/chromium');
    expect(plan.message).toContain('CHROMIUM_PATH');
  });

  it('fails instead of skipping when LICENSOR_REQUIRE_CHROMIUM=1 (CI)', () => {
    const plan = chromiumPlan({ LICENSOR_REQUIRE_CHROMIUM: '1' }, absent);
    expect(plan.mode).toBe('fail');
    expect(plan.message).toMatch(
      /^LICENSOR_REQUIRE_CHROMIUM=1 but no Chromium at \/usr\/bin\/chromium/,
    );
  });

  it('asks the filesystem about CHROMIUM_PATH when it is set, the default otherwise', () => {
    const asked: string[] = [];
    const exists = (path: string) => {
      asked.push(path);
      return true;
    };
    chromiumPlan({ CHROMIUM_PATH: '/opt/chrome' }, exists);
    chromiumPlan({ CHROMIUM_PATH: '' }, exists);
    expect(asked).toEqual(['/opt/chrome', DEFAULT_CHROMIUM_PATH]);
    expect(chromiumPath({})).toBe(DEFAULT_CHROMIUM_PATH);
  });
});

describe('CHROMIUM_FLAGS', () => {
  it('runs headless without a sandbox and without background traffic', () => {
    expect(CHROMIUM_FLAGS).toEqual(
      expect.arrayContaining(['--headless', '--no-sandbox', '--disable-background-networking']),
    );
  });
});
