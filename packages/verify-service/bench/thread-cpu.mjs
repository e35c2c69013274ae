// The CPU time of this process's main thread apart from all its other threads (the store's
// writer thread, libuv's pool doing the log syncs and writes, V8's GC helpers), from /proc
// (Linux; null elsewhere). One worker runs those other threads on the second core beside its
// main thread; two workers must share both cores with them (README, "--workers").
import { readdirSync, readFileSync } from 'node:fs';

/**
 * CPU seconds so far of the main thread and of the others together, and the seconds the main
 * thread waited runnable for a core (`mainWaiting`, from schedstat: it had work and no core; null
 * where the kernel keeps no schedstat), or null without /proc.
 */
export function threadCpu() {
  try {
    let main = 0;
    let others = 0;
    let mainWaiting = null;
    for (const tid of readdirSync('/proc/self/task')) {
      // utime and stime are fields 14 and 15: the 12th and 13th after the ")" ending the name.
      const stat = readFileSync(`/proc/self/task/${tid}/stat`, 'utf8');
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      const ticks = Number(fields[11]) + Number(fields[12]);
      if (Number(tid) === process.pid) main += ticks;
      else others += ticks;
    }
    try {
      // schedstat: time on a core, time waiting on a run queue, timeslices (ns, ns, count).
      const sched = readFileSync(`/proc/self/task/${process.pid}/schedstat`, 'utf8').split(' ');
      mainWaiting = Number(sched[1]) / 1e9;
    } catch {
      mainWaiting = null;
    }
    // Clock ticks: USER_HZ is 100 on Linux.
    return { main: main / 100, others: others / 100, mainWaiting };
  } catch {
    return null;
  }
}
