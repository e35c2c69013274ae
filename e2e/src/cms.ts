// The customer's CMS, as its operator drives it: every button of the seed page is one command
// of the real `licensor` CLI on the installation's state folder.
import type { LicenseInfo, VerifyResult } from '@licensor/sdk';
import { bins, type RunResult, run, runOk } from './processes.js';

export class Cms {
  constructor(
    readonly stateDir: string,
    readonly trustFile: string,
    private readonly operator = 'alice',
    /** NAME@VERSION of the product this installation runs (default: the CLI's own). */
    private readonly product?: string,
  ) {}

  private common(): string[] {
    return [
      ...(this.product === undefined ? [] : ['--product', this.product]),
      '--state',
      this.stateDir,
      '--trust',
      this.trustFile,
      '--operator',
      this.operator,
      '--role',
      'system-administrator',
    ];
  }

  /** "Get challenge": the challenge text the operator copies to the vendor. */
  async getChallenge(
    options: {
      credentials?: number;
      customer?: string;
      features?: string[];
      limitsInUse?: Record<string, number>;
    } = {},
  ): Promise<string> {
    const args = ['challenge'];
    if (options.credentials !== undefined) args.push('--credentials', String(options.credentials));
    if (options.customer !== undefined) args.push('--customer', options.customer);
    for (const feature of options.features ?? []) args.push('--feature', feature);
    for (const [name, inUse] of Object.entries(options.limitsInUse ?? {})) {
      args.push('--limit-in-use', `${name}=${inUse}`);
    }
    return (await runOk(bins.licensor, [...this.common(), ...args])).trim();
  }

  /** "Upgrade": pastes the key into the Upgrade field. */
  upgrade(key: string): Promise<string> {
    return runOk(bins.licensor, [...this.common(), 'apply', '-'], { input: key });
  }

  /** The same, keeping the exit code and output of a refusal. */
  tryUpgrade(key: string): Promise<RunResult> {
    return run(bins.licensor, [...this.common(), '--json', 'apply', '-'], { input: key });
  }

  /** Applies pasted vendor key sets (`licensor trust -`), keeping a refusal's exit code. */
  trust(keysets: string): Promise<RunResult> {
    return run(bins.licensor, [...this.common(), '--json', 'trust', '-'], { input: keysets });
  }

  async viewLicense(): Promise<LicenseInfo> {
    return JSON.parse(
      await runOk(bins.licensor, [...this.common(), '--json', 'show']),
    ) as LicenseInfo;
  }

  /** "View License" as the operator reads it. */
  viewLicenseText(): Promise<string> {
    return runOk(bins.licensor, [...this.common(), 'show']);
  }

  async verifyLicense(url: string): Promise<VerifyResult> {
    const result = await run(bins.licensor, [...this.common(), '--json', 'verify', '--url', url]);
    if (result.code === 2) throw new Error(`licensor verify: usage error: ${result.stderr}`);
    return JSON.parse(result.stdout) as VerifyResult;
  }

  /** Whether one more of a named limit may be used, as `licensor capacity --limit` says it. */
  capacityText(limit: string, inUse: number): Promise<RunResult> {
    return run(bins.licensor, [
      ...this.common(),
      'capacity',
      '--limit',
      limit,
      '--in-use',
      String(inUse),
    ]);
  }

  /** "Activate": the switch-request challenge for the vendor. */
  async activate(model: 'perpetual' | 'subscription'): Promise<string> {
    return (await runOk(bins.licensor, [...this.common(), 'activate', model])).trim();
  }
}
