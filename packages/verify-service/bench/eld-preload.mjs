// Preloaded into a server under probe: event-loop delay histogram and event-loop utilization
// (the share of the time the main thread was busy: 1 is saturated), and the CPU time of the main
// thread apart from the process's other threads (thread-cpu.mjs), reported on request.
import { monitorEventLoopDelay, performance } from 'node:perf_hooks';
import { threadCpu } from './thread-cpu.mjs';

const h = monitorEventLoopDelay({ resolution: 1 });
h.enable();
let elu = performance.eventLoopUtilization();
process.on('message', (m) => {
  if (m === 'threads') process.send({ threads: threadCpu() });
  if (m === 'eld-reset') {
    h.reset();
    elu = performance.eventLoopUtilization();
  }
  if (m === 'eld') {
    const ms = (x) => Math.round(x / 1e4) / 100;
    process.send({
      eld: {
        p50: ms(h.percentile(50)),
        p99: ms(h.percentile(99)),
        p999: ms(h.percentile(99.9)),
        max: ms(h.max),
        mean: ms(h.mean),
        utilization: Math.round(performance.eventLoopUtilization(elu).utilization * 100) / 100,
      },
    });
  }
});
