import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import { RefusalLog } from './refusal-log.js';

function capture() {
  const lines: Record<string, unknown>[] = [];
  const logger = pino({ level: 'info' }, { write: (line: string) => lines.push(JSON.parse(line)) });
  return { lines, logger };
}

const refusal = (client: string, code = 'ERR_RATE_LIMITED') => ({
  client,
  code,
  level: 'info' as const,
  fields: {},
});

describe('RefusalLog', () => {
  it('counts clients past its table under one key instead of growing without bound', () => {
    const { lines, logger } = capture();
    const log = new RefusalLog(logger, { intervalMs: 1_000, maxClients: 3 });
    for (let i = 0; i < 100; i++) log.refused(refusal(`10.0.0.${i}`), 0);
    expect(lines.filter((l) => l.msg === 'check refused')).toHaveLength(3);
    log.sweep(1_000);
    expect(lines.filter((l) => l.event === 'refusals_suppressed')).toEqual([
      expect.objectContaining({ client: '(other clients)', count: 97 }),
    ]);
  });

  it('makes room by reporting ended intervals before it overflows', () => {
    const { lines, logger } = capture();
    const log = new RefusalLog(logger, { intervalMs: 1_000, maxClients: 2 });
    log.refused(refusal('a'), 0);
    log.refused(refusal('b'), 0);
    expect(log.refused(refusal('c'), 1_000)).toBe(true);
    expect(lines.map((l) => l.client)).toEqual(['a', 'b', 'c']);
  });
});
