import { readdirSync, readlinkSync } from 'node:fs';

/** Descriptors this process holds on files whose path starts with `prefix` (Linux /proc). */
export function descriptorsOn(prefix: string): number {
  return readdirSync('/proc/self/fd').filter((fd) => {
    try {
      return readlinkSync(`/proc/self/fd/${fd}`).startsWith(prefix);
    } catch {
      return false;
    }
  }).length;
}
