import { describe, expect, it } from 'vitest';
import { admin, answer, DAY, setup } from '../../test/fixtures.js';
import { formatInfo, time } from './format.js';

describe('View License as the CLI prints it', () => {
  it('gives the license token issue time, and when it was applied here when that was later', async () => {
    const { licensor, clock } = setup();
    const { challenge } = await licensor.createChallenge(admin);
    const issuedAt = clock.seconds;
    const key = answer(challenge);
    clock.advance(DAY);
    const applied = await licensor.applyLicenseKey(admin, key);
    expect(formatInfo(applied.info)).toMatch(
      new RegExp(
        `^License token issue time:\\s+${time(issuedAt)} \\(applied here ${time(issuedAt + DAY)}\\)$`,
        'm',
      ),
    );
  });

  it('gives the issue time alone when the key was applied at the time it was signed', async () => {
    const { licensor, clock } = setup();
    const { challenge } = await licensor.createChallenge(admin);
    const applied = await licensor.applyLicenseKey(admin, answer(challenge));
    expect(formatInfo(applied.info)).toMatch(
      new RegExp(`^License token issue time:\\s+${time(clock.seconds)}$`, 'm'),
    );
  });
});
