// The baseline: a bare node:http server doing the same signature work as the service for one
// check (one Ed25519 verification of the request, one signature of a status), nothing else.
// Run by bench/run.mjs as a child process; it reports its URL over IPC.
import { createServer } from 'node:http';
import { generateKeyPair, signStatus, verifyCheck } from '@licensor/token';

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
  process.send({ url: `http://127.0.0.1:${server.address().port}` });
});
process.on('SIGTERM', () => server.close(() => process.exit(0)));
// The bench asks for the CPU time spent, to report CPU per request beside the rates.
process.on('message', (message) => {
  if (message === 'cpu') process.send({ cpu: process.cpuUsage() });
});
