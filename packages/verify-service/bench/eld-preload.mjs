// Preloaded into a server under probe: event-loop delay histogram and event-loop utilization
// (the share of the time the main thread was busy: 1 is saturated), and the CPU time of the main
// thread apart from the process's other threads (thread-cpu.mjs), reported on request.
// Also V8's garbage-collection pauses of the main thread (perf_hooks 'gc' entries: each
// scavenge or mark-compact's duration), to tell a pause from a queue in a latency tail.
import { monitorEventLoopDelay, PerformanceObserver, performance } from 'node:perf_hooks';
import { threadCpu } from './thread-cpu.mjs';

const h = monitorEventLoopDelay({ resolution: 1 });
h.enable();
let elu = performance.eventLoopUtilization();
let pauses = [];
new PerformanceObserver((list) => {
  for (const entry of list.getEntries()) pauses.push(entry.duration);
}).observe({ entryTypes: ['gc'] });
process.on('message', (m) => {
  if (m === 'threads') process.send({ threads: threadCpu() });
  if (m === 'eld-reset') {
    h.reset();
    elu = performance.eventLoopUtilization();
    pauses = [];
  }
  if (m === 'eld') {
    const ms = (x) => Math.round(x / 1e4) / 100;
    const sorted = [...pauses].sort((a, b) => a - b);
    const at = (q) => Math.round((sorted[Math.floor(q * (sorted.length - 1))] ?? 0) * 100) / 100;
    process.send({
      eld: {
        p50: ms(h.percentile(50)),
        p99: ms(h.percentile(99)),
        p999: ms(h.percentile(99.9)),
        max: ms(h.max),
        mean: ms(h.mean),
        utilization: Math.round(performance.eventLoopUtilization(elu).utilization * 100) / 100,
        gc: {
          pauses: sorted.length,
          totalMs: Math.round(sorted.reduce((a, b) => a + b, 0)),
          p50Ms: at(0.5),
          p99Ms: at(0.99),
          maxMs: at(1),
        },
      },
    });
  }
});
