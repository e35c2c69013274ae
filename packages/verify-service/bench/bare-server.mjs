// The baseline: a bare node:http server doing the same signature work as the service for one
// check (one Ed25519 verification of the request, one signature of a status), nothing else.
// Run by bench/run.mjs as a child process; it reports its URL over IPC. BENCH_WORKERS > 1 runs
// that many copies on one port through node:cluster, the baseline for `--workers`.
import cluster from 'node:cluster';
import { createServer } from 'node:http';
import { generateKeyPair, signStatus, verifyCheck } from '@licensor/token';
import { clusterCpu, peakRssMb, reportCpu } from './cluster-cpu.mjs';
import { threadCpu } from './thread-cpu.mjs';

const workers = Number(process.env.BENCH_WORKERS ?? 1);
if (workers > 1 && cluster.isPrimary) {
  let listening = 0;
  for (let i = 0; i < workers; i++) {
    cluster.fork().once('listening', (address) => {
      if (++listening === workers) process.send({ url: `http://127.0.0.1:${address.port}` });
    });
  }
  clusterCpu();
  process.on('SIGTERM', () => {
    for (const worker of Object.values(cluster.workers ?? {})) worker.kill('SIGTERM');
    cluster.on('exit', () => {
      if (Object.keys(cluster.workers ?? {}).length === 0) process.exit(0);
    });
  });
} else {
  startBare();
}

function startBare() {
  const installationKey = new Uint8Array(
    Buffer.from(process.env.BENCH_INSTALLATION_KEY, 'base64url'),
  );
  const statusKey = generateKeyPair();

  const server = createServer((req, res) => {
    const chunks = [];
    req.on('data', (chunk) => chunks.push(chunk));
    req.on('end', () => {
      try {
        const token = Buffer.concat(chunks).toString('latin1');
        const { claims, installationId } = verifyCheck(token, () => installationKey);
        const now = Math.floor(Date.now() / 1000);
        const status = signStatus(
          {
            v: 1,
            iat: now,
            nonce: claims.nonce,
            lid: claims.lid,
            sub: installationId,
            outcome: 'VALID',
            rev: claims.rev,
            termEnd: null,
            checkBy: now + 86_400,
            license: null,
          },
          statusKey,
        );
        res.writeHead(200, {
          'content-type': 'application/jose',
          'content-length': Buffer.byteLength(status),
        });
        res.end(status);
      } catch {
        res.writeHead(400);
        res.end();
      }
    });
  });

  server.listen(0, '127.0.0.1', () => {
    if (cluster.isPrimary) process.send({ url: `http://127.0.0.1:${server.address().port}` });
  });
  process.on('SIGTERM', () => {
    server.close(() => process.exit(0));
    server.closeAllConnections();
  });
  if (cluster.isWorker) {
    reportCpu();
  } else {
    // The bench asks for the CPU time spent, to report CPU per request beside the rates.
    process.on('message', (message) => {
      if (message === 'cpu') {
        process.send({
          cpu: process.cpuUsage(),
          threads: threadCpu(),
          rss: { primaryMb: peakRssMb(), workersMb: [] },
        });
      }
    });
  }
}
