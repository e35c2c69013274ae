// CPU time of a cluster for the bench: the primary answers the bench's 'cpu' question with its
// own CPU time plus every worker's, each worker reporting its own over the cluster channel, and
// beside it the peak resident memory of each process (`rss`: MB, the primary's and each worker's).
import cluster from 'node:cluster';

/** This process's peak resident set size so far, in MB (getrusage's ru_maxrss). */
export function peakRssMb() {
  return Math.round(process.resourceUsage().maxRSS / 1024);
}

/** In the primary: answer 'cpu' from the bench with the sum over the primary and its workers. */
export function clusterCpu() {
  process.on('message', async (message) => {
    if (message !== 'cpu') return;
    const parts = await Promise.all(
      Object.values(cluster.workers ?? {}).map(
        (worker) =>
          new Promise((resolve) => {
            // A worker that does not answer (dead, starting) counts as no CPU, not as a hang.
            const timer = setTimeout(() => done({ user: 0, system: 0 }, null), 2_000);
            const done = (cpu, rssMb) => {
              clearTimeout(timer);
              worker.off('message', onMessage);
              resolve({ cpu, rssMb });
            };
            const onMessage = (reply) => {
              if (reply?.benchCpu !== undefined) done(reply.benchCpu, reply.rssMb ?? null);
            };
            worker.on('message', onMessage);
            if (worker.isConnected()) worker.send('bench-cpu');
          }),
      ),
    );
    const own = process.cpuUsage();
    const cpu = parts.reduce(
      (sum, { cpu: part }) => ({ user: sum.user + part.user, system: sum.system + part.system }),
      own,
    );
    process.send({ cpu, rss: { primaryMb: peakRssMb(), workersMb: parts.map((p) => p.rssMb) } });
  });
}

/** In a worker: report this process's CPU time when the primary asks. */
export function reportCpu() {
  process.on('message', (message) => {
    if (message === 'bench-cpu') {
      process.send({ benchCpu: process.cpuUsage(), rssMb: peakRssMb() });
    }
  });
}
