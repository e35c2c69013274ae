// Preloaded into a server under probe: event-loop delay histogram, reported on request.
import { monitorEventLoopDelay } from 'node:perf_hooks';

const h = monitorEventLoopDelay({ resolution: 1 });
h.enable();
process.on('message', (m) => {
  if (m === 'eld-reset') h.reset();
  if (m === 'eld') {
    const ms = (x) => Math.round(x / 1e4) / 100;
    process.send({
      eld: {
        p50: ms(h.percentile(50)),
        p99: ms(h.percentile(99)),
        p999: ms(h.percentile(99.9)),
        max: ms(h.max),
        mean: ms(h.mean),
      },
    });
  }
});
