// CPU time of a cluster for the bench: the primary answers the bench's 'cpu' question with its
// own CPU time plus every worker's, each worker reporting its own over the cluster channel.
import cluster from 'node:cluster';

/** In the primary: answer 'cpu' from the bench with the sum over the primary and its workers. */
export function clusterCpu() {
  process.on('message', async (message) => {
    if (message !== 'cpu') return;
    const parts = await Promise.all(
      Object.values(cluster.workers ?? {}).map(
        (worker) =>
          new Promise((resolve) => {
            // A worker that does not answer (dead, starting) counts as no CPU, not as a hang.
            const timer = setTimeout(() => done({ user: 0, system: 0 }), 2_000);
            const done = (cpu) => {
              clearTimeout(timer);
              worker.off('message', onMessage);
              resolve(cpu);
            };
            const onMessage = (reply) => {
              if (reply?.benchCpu !== undefined) done(reply.benchCpu);
            };
            worker.on('message', onMessage);
            if (worker.isConnected()) worker.send('bench-cpu');
          }),
      ),
    );
    const own = process.cpuUsage();
    const cpu = parts.reduce(
      (sum, part) => ({ user: sum.user + part.user, system: sum.system + part.system }),
      own,
    );
    process.send({ cpu });
  });
}

/** In a worker: report this process's CPU time when the primary asks. */
export function reportCpu() {
  process.on('message', (message) => {
    if (message === 'bench-cpu') process.send({ benchCpu: process.cpuUsage() });
  });
}
