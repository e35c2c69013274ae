// check.failed, as the service sees it: a refused check of a license that exists is recorded in
// the shared store as a fact (`recordCheckFailures`, the check role's one write for it), which
// the issuer side turns into a webhook event. A fact's id is fixed by license, reason and hour,
// so this process writes each at most once an hour (it remembers what it wrote), and any
// number of instances make one fact: a flood of forged checks costs one insert per license and
// reason per hour, never a write per request. A failed write is logged and tried again at the
// next refusal; the check's answer never waits for it.
import { type CheckFailure, checkFailureOf } from '@licensor/issuer/checks';
import type { Logger } from 'pino';

export interface RefusedCheck {
  licenseId: string;
  /** The installation id the check named. */
  installationId: string;
  /** The refusal's error code, or UNKNOWN_INSTALLATION. */
  reason: string;
  at: number;
}

const MAX_REMEMBERED = 10_000;

export class CheckFailureReporter {
  readonly #write: (failures: CheckFailure[]) => Promise<void>;
  readonly #logger: Logger;
  readonly #written = new Set<string>();
  readonly #pending = new Set<Promise<void>>();
  /** Facts written to the store. */
  written = 0;
  /** Writes that failed. */
  failures = 0;

  constructor(write: (failures: CheckFailure[]) => Promise<void>, logger: Logger) {
    this.#write = write;
    this.#logger = logger;
  }

  report(refused: RefusedCheck): void {
    const fact = checkFailureOf(refused);
    if (this.#written.has(fact.id)) return;
    // Ids of past hours are never met again: forgetting them all at once is safe.
    if (this.#written.size >= MAX_REMEMBERED) this.#written.clear();
    this.#written.add(fact.id);
    const write = this.#write([fact]).then(
      () => {
        this.written++;
      },
      (error: unknown) => {
        this.failures++;
        this.#written.delete(fact.id);
        this.#logger.warn(
          { event: 'check_failure_unrecorded', err: error, failure: fact },
          'recording a refused check for check.failed failed; the next refusal tries again',
        );
      },
    );
    this.#pending.add(write);
    void write.finally(() => this.#pending.delete(write));
  }

  /** Waits for the writes in flight (shutdown, tests). */
  async settle(): Promise<void> {
    await Promise.all([...this.#pending]);
  }
}
