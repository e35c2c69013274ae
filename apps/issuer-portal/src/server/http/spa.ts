// Serves the built single-page app: hashed assets with a long cache, and index.html for every
// other GET outside /api so that deep links (/licenses/lic_…) load the app.
import { existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import express, { type Router } from 'express';

/** dist/web next to the built server, or, when running from src (tests), the package's dist/web. */
export function defaultWebRoot(): string | null {
  const here = dirname(fileURLToPath(import.meta.url));
  const candidates = [
    join(here, 'web'),
    resolve(here, '../../dist/web'),
    resolve(here, '../../../dist/web'),
  ];
  return candidates.find((dir) => existsSync(join(dir, 'index.html'))) ?? null;
}

export function spaRouter(webRoot: string | null): Router {
  const router = express.Router();
  if (!webRoot) {
    router.get('/{*path}', (_req, res) => {
      res
        .status(503)
        .type('text/plain')
        .send('The portal UI is not built. Run `pnpm --filter @licensor/issuer-portal build`.');
    });
    return router;
  }
  router.use(
    '/assets',
    express.static(join(webRoot, 'assets'), { immutable: true, maxAge: '365d', index: false }),
  );
  router.use(express.static(webRoot, { index: false, maxAge: '1h' }));
  router.get('/{*path}', (req, res, next) => {
    if (req.path.startsWith('/api/')) return next();
    res.setHeader('Cache-Control', 'no-cache');
    res.sendFile(join(webRoot, 'index.html'));
  });
  return router;
}
