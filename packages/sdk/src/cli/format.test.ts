import { describe, expect, it } from 'vitest';
import { admin, answer, DAY, setup } from '../../test/fixtures.js';
import { formatAudit, formatInfo, time } from './format.js';

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

describe('the audit trail as the CLI prints it', () => {
  it('escapes control characters in every field, so a terminal runs no escape from the trail', () => {
    const printed = formatAudit([
      {
        at: 1_700_000_000,
        operator: { id: 'mallory\u001b]0;pwned\u0007', name: null, roles: [] },
        action: 'view',
        outcome: 'ok',
        code: null,
        detail: 'line one\nforged line\u009b',
        trusted: 0,
        prev: null,
        link: null,
      },
    ]);
    // biome-ignore lint/suspicious/noControlCharactersInRegex: finding controls is the point
    expect(printed).not.toMatch(/[\u0000-\u0009\u000b-\u001f\u007f-\u009f]/);
    expect(printed.trimEnd().split('\n')).toHaveLength(1);
    expect(printed).toContain('mallory\\u001b]0;pwned\\u0007');
    expect(printed).toContain('line one\\u000aforged line\\u009b');
  });
});
