// One round of durable issues, as the large-store bench and the issue probe run it: 300 new
// installations' challenges (made before the clock starts), one issued untimed, the rest 64 at
// a time; the rate and the process's CPU per issue (every thread's).

import { freshChallenges } from '@licensor/issuer/seed';
import { rateOf } from '../../bench/kit.mjs';

export const ISSUE_TERMS = { customerName: 'Bench Customer', model: 'perpetual', credentials: 100 };
export const ISSUES_PER_ROUND = 300;

/** { perSecond, cpuUs } over the round's timed issues (`count` challenges, one untimed). */
export async function issueRound(issuer, count = ISSUES_PER_ROUND) {
  const challenges = freshChallenges(count);
  await issuer.issue(challenges.pop(), ISSUE_TERMS, 'bench');
  let next = 0;
  const cpu = process.cpuUsage();
  const started = performance.now();
  await Promise.all(
    Array.from({ length: 64 }, async () => {
      while (next < challenges.length) await issuer.issue(challenges[next++], ISSUE_TERMS, 'bench');
    }),
  );
  return rateOf(challenges.length, started, cpu);
}
