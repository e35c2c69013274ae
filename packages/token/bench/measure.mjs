// Measuring one operation for the token bench: operations per CPU-second over about `seconds`
// of wall time, and a pool of inputs the bench sizes to the speed it measures, so that an
// operation that must see a fresh input each call never runs out, however fast the machine.

/**
 * Runs `op` for about `seconds` of wall time after a short warm-up, at most `limit` times in
 * all (warm-up included). Returns operations per CPU-second of this process and the count.
 */
export function measureOnce(op, seconds, limit = Number.POSITIVE_INFINITY) {
  const warmUntil = performance.now() + 30;
  let warm = 0;
  while (performance.now() < warmUntil && warm < limit / 4) {
    op();
    warm += 1;
  }
  let count = 0;
  const end = performance.now() + seconds * 1000;
  const cpu = process.cpuUsage();
  while (performance.now() < end && warm + count < limit) {
    const batch = Math.min(20, limit - warm - count);
    for (let i = 0; i < batch; i++) op();
    count += batch;
  }
  const used = process.cpuUsage(cpu);
  return { opsPerSecond: count / Math.max((used.user + used.system) / 1e6, 1e-6), count };
}

/**
 * Inputs that are each used once. `refill(seconds)` makes enough for `seconds` at the fastest
 * rate seen so far (with a quarter to spare, at least a floor), `take()` hands out the next and throws when a
 * caller asks for more than was made: a figure is never measured on a reused input.
 */
export class FreshPool {
  constructor(make, { floor = 1000 } = {}) {
    this.make = make;
    this.floor = floor;
    this.fastest = 0;
    this.items = [];
    this.next = 0;
  }

  /** Room for `seconds` of calls at the fastest rate seen; returns how many were made. */
  refill(seconds) {
    const count = Math.max(this.floor, Math.ceil(this.fastest * seconds * 1.25));
    this.items = Array.from({ length: count }, () => this.make());
    this.next = 0;
    return count;
  }

  get left() {
    return this.items.length - this.next;
  }

  take() {
    if (this.next >= this.items.length) throw new Error('bench: the fresh pool ran dry');
    const item = this.items[this.next];
    this.next += 1;
    return item;
  }

  /** Records the rate just measured, so the next refill is sized to it. */
  saw(opsPerSecond) {
    this.fastest = Math.max(this.fastest, opsPerSecond);
  }
}

/**
 * One measurement of `op` on fresh inputs from `pool`: refilled for the time it runs, stopped
 * before the pool runs dry. The first call also calibrates the rate on the floor's worth.
 */
export function measureFresh(pool, op, seconds) {
  if (pool.fastest === 0) {
    pool.refill(seconds);
    pool.saw(measureOnce(op, seconds, pool.left).opsPerSecond);
  }
  const made = pool.refill(seconds + 0.05);
  const result = measureOnce(op, seconds, made);
  pool.saw(result.opsPerSecond);
  return result.opsPerSecond;
}
