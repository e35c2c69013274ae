export function measureOnce(
  op: () => unknown,
  seconds: number,
  limit?: number,
): { opsPerSecond: number; count: number };

export class FreshPool<T> {
  constructor(make: () => T, options?: { floor?: number });
  readonly fastest: number;
  readonly left: number;
  refill(seconds: number): number;
  take(): T;
  saw(opsPerSecond: number): void;
}

export function measureFresh<T>(pool: FreshPool<T>, op: () => unknown, seconds: number): number;
