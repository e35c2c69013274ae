// Your account: change your own password (components/change-password.tsx), two-factor login,
// and for admins the two-factor policy.
import { ChangePasswordForm } from '../components/change-password';
import { TwoFactorCard, TwoFactorPolicyCard } from '../components/two-factor';
import { Card, PageHeader } from '../components/ui';
import { useSession } from '../session';

export function AccountPage() {
  const { info, can } = useSession();
  return (
    <>
      <PageHeader
        title="Your account"
        subtitle={
          info ? `Logged in as ${info.user.name}, with the ${info.user.role} role.` : undefined
        }
      />
      <Card title="Change your password">
        <ChangePasswordForm />
      </Card>
      <TwoFactorCard />
      {can('admin') ? <TwoFactorPolicyCard /> : null}
    </>
  );
}
