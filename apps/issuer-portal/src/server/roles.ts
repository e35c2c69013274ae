// Vendor roles. They nest: an admin may do everything an issuer may, an issuer everything a
// viewer may. The server checks the role on every route; the SPA only hides what would fail.
export const ROLES = ['viewer', 'issuer', 'admin'] as const;
export type Role = (typeof ROLES)[number];

const RANK: Record<Role, number> = { viewer: 0, issuer: 1, admin: 2 };

export function roleAllows(held: Role, required: Role): boolean {
  return RANK[held] >= RANK[required];
}
