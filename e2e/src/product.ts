// The whole vendor side as real processes on one store: the issuer's keys and a vendor user made
// with `licensor-issuer`, the portal, and one or more verify-service instances.
import { randomBytes } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { bins, freePort, runOk, Service } from './processes.js';

export interface ProductOptions {
  /** Folder for the SQLite store and key files (also used for the JWKS file with MongoDB). */
  dataDir: string;
  /** Selects the MongoDB adapter instead of SQLite. */
  mongoUri?: string;
  verifyInstances?: number;
  /** Seals license keys (the issuing side's secret). */
  passphrase?: string;
  /** Seals status keys (the verify service's only secret). */
  statusPassphrase?: string;
  /** The verify service's license cache, i.e. its revocation bound (default: the service's 5 s). */
  cacheTtlMs?: number;
}

export interface VendorUser {
  name: string;
  password: string;
}

export class Product {
  readonly verifyServices: Service[] = [];
  portal!: Service;
  portalUrl = '';
  verifyUrls: string[] = [];
  jwksFile = '';
  vendor: VendorUser = { name: '', password: '' };

  private constructor(private readonly options: ProductOptions) {}

  /** How long a vendor's change may take to reach every verify-service answer. */
  get revocationBoundMs(): number {
    return this.options.cacheTtlMs ?? Number(process.env.LICENSOR_VERIFY_CACHE_TTL_MS ?? 5000);
  }

  /** A product that is already running (`pnpm start`): the demo drives it as it is. */
  static attach(
    options: ProductOptions & { portalUrl: string; verifyUrl: string; vendor: VendorUser },
  ): Product {
    const product = new Product(options);
    product.portalUrl = options.portalUrl;
    product.verifyUrls = [options.verifyUrl];
    product.vendor = options.vendor;
    product.jwksFile = join(options.dataDir, 'jwks.json');
    return product;
  }

  static async start(options: ProductOptions): Promise<Product> {
    const product = new Product(options);
    try {
      await product.setUp();
    } catch (error) {
      // The caller never gets the product to stop: stop what set-up started before it failed.
      await product.stop();
      throw error;
    }
    return product;
  }

  /** The issuing side's environment (CLI, portal): both secrets. */
  get env(): NodeJS.ProcessEnv {
    return {
      ...this.verifyEnv,
      LICENSOR_KEY_PASSPHRASE: this.options.passphrase ?? 'e2e passphrase',
    };
  }

  /** The verify service's environment: the status secret only, never the issuing one. */
  get verifyEnv(): NodeJS.ProcessEnv {
    return {
      LICENSOR_KEY_PASSPHRASE: '',
      LICENSOR_STATUS_KEY_PASSPHRASE: this.options.statusPassphrase ?? 'e2e status passphrase',
      LICENSOR_LOG_LEVEL: 'warn',
      MONGODB_URI: this.options.mongoUri ?? '',
    };
  }

  /** The data folder: the SQLite store, or beside MongoDB the place of any unsealed key files. */
  get storeArgs(): string[] {
    return ['--data', this.options.dataDir];
  }

  /** Runs `licensor-issuer` on the product's store. */
  issuer(args: string[], input?: string): Promise<string> {
    return runOk(bins.issuer, [...this.storeArgs, ...args], {
      env: this.env,
      ...(input === undefined ? {} : { input }),
    });
  }

  async startVerify(index: number, port?: number): Promise<Service> {
    const listen = port ?? (await freePort());
    const service = Service.start(
      `verify-${index}`,
      bins.verify,
      [
        'serve',
        '--port',
        String(listen),
        ...this.storeArgs,
        ...(this.options.cacheTtlMs === undefined
          ? []
          : ['--cache-ttl-ms', String(this.options.cacheTtlMs)]),
      ],
      this.verifyEnv,
    );
    const url = `http://127.0.0.1:${listen}`;
    await service.waitUntilReady(`${url}/readyz`);
    this.verifyServices[index] = service;
    this.verifyUrls[index] = url;
    return service;
  }

  async restartVerify(index: number): Promise<void> {
    await this.verifyServices[index]?.stop();
    const port = Number(new URL(this.verifyUrls[index]!).port);
    await this.startVerify(index, port);
  }

  async stop(): Promise<void> {
    await Promise.all([this.portal?.stop(), ...this.verifyServices.map((s) => s.stop())]);
  }

  private async setUp(): Promise<void> {
    mkdirSync(this.options.dataDir, { recursive: true });
    await this.issuer(['init']);
    this.vendor = { name: 'vendor-issuer', password: randomBytes(12).toString('base64url') };
    await runOk(
      bins.issuer,
      [...this.storeArgs, 'users', 'add', this.vendor.name, '--role', 'issuer'],
      {
        env: { ...this.env, LICENSOR_USER_PASSWORD: this.vendor.password },
      },
    );
    this.jwksFile = join(this.options.dataDir, 'jwks.json');
    writeFileSync(this.jwksFile, await this.issuer(['keys', 'export']));

    const portalPort = await freePort();
    this.portal = Service.start(
      'portal',
      bins.portal,
      ['serve', '--port', String(portalPort), ...this.storeArgs],
      this.env,
    );
    this.portalUrl = `http://127.0.0.1:${portalPort}`;
    await this.portal.waitUntilReady(`${this.portalUrl}/api/v1/health`);
    for (let i = 0; i < (this.options.verifyInstances ?? 1); i++) await this.startVerify(i);
  }
}
