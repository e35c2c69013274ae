// An in-memory ChainStore for tests of one service process: the same answers as the SQLite and
// MongoDB adapters (their contract suite is in the issuer package), held in maps.
import type {
  ChainHead,
  ChainStore,
  ForkAction,
  ForkFilter,
  ForkRecord,
  ResolvedForkPolicy,
} from '@licensor/issuer/checks';

export class MemoryChains implements ChainStore {
  readonly heads = new Map<string, ChainHead>();
  readonly forks = new Map<string, ForkRecord>();
  readonly policies = new Map<string, ForkAction>();
  readonly nonces = new Map<string, number>();

  async getChainHead(installationId: string): Promise<ChainHead | null> {
    const head = this.heads.get(installationId);
    return head === undefined ? null : structuredClone(head);
  }

  async listChainHeads(afterInstallationId: string | null, limit: number): Promise<ChainHead[]> {
    return [...this.heads.values()]
      .filter((head) => afterInstallationId === null || head.installationId > afterInstallationId)
      .sort((a, b) => (a.installationId < b.installationId ? -1 : 1))
      .slice(0, limit)
      .map((head) => structuredClone(head));
  }

  async putChainHead(head: ChainHead, expectedVersion: number | null): Promise<boolean> {
    const stored = this.heads.get(head.installationId);
    if ((stored?.version ?? null) !== expectedVersion) return false;
    this.heads.set(head.installationId, structuredClone(head));
    return true;
  }

  async recordFork(fork: ForkRecord): Promise<ForkRecord> {
    const stored = this.forks.get(fork.id);
    const next =
      stored === undefined
        ? fork
        : {
            ...stored,
            lastSeenAt: Math.max(stored.lastSeenAt, fork.lastSeenAt),
            divergentChecks: stored.divergentChecks + 1,
            copy: fork.copy,
            action: fork.action,
          };
    this.forks.set(fork.id, structuredClone(next));
    return structuredClone(next);
  }

  async getFork(id: string): Promise<ForkRecord | null> {
    const fork = this.forks.get(id);
    return fork === undefined ? null : structuredClone(fork);
  }

  async listForks(filter: ForkFilter): Promise<ForkRecord[]> {
    return [...this.forks.values()]
      .filter(
        (fork) =>
          (filter.licenseId === undefined || fork.licenseId === filter.licenseId) &&
          (filter.installationId === undefined || fork.installationId === filter.installationId) &&
          (filter.status === undefined || fork.status === filter.status),
      )
      .sort((a, b) => b.detectedAt - a.detectedAt)
      .slice(0, filter.limit ?? 100)
      .map((fork) => structuredClone(fork));
  }

  async closeFork(id: string, at: number, by: string, reason: string): Promise<boolean> {
    const fork = this.forks.get(id);
    if (fork === undefined || fork.status !== 'open') return false;
    this.forks.set(id, {
      ...fork,
      status: 'closed',
      closedAt: at,
      closedBy: by,
      closeReason: reason,
    });
    return true;
  }

  async getForkPolicy(licenseId: string): Promise<ForkAction | null> {
    return this.policies.get(licenseId) ?? null;
  }

  /** Licenses here carry no plan: a license's own policy only. */
  async resolveForkPolicy(licenseId: string): Promise<ResolvedForkPolicy | null> {
    const action = this.policies.get(licenseId);
    return action === undefined ? null : { action, source: 'license' };
  }

  async setForkPolicy(licenseId: string, action: ForkAction | null, _at: number): Promise<void> {
    if (action === null) this.policies.delete(licenseId);
    else this.policies.set(licenseId, action);
  }

  async admitNonce(
    installationId: string,
    nonce: string,
    issuedAt: number,
    expiresAt: number,
    now: number,
  ): Promise<boolean> {
    // Keyed as the SQLite store keys it (the check's iat first).
    const key = `${issuedAt}.${installationId}.${nonce}`;
    const held = this.nonces.get(key);
    if (held !== undefined && held > now) return false;
    this.nonces.set(key, expiresAt);
    return true;
  }
}
