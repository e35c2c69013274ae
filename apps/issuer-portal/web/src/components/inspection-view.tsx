// A decoded challenge: the installation, the license it holds, what it asks for (left), and
// the warnings with the action to take (right, passed in as children).
import type { ReactNode } from 'react';
import { formatSeconds, formatTime } from '../format';
import { Link } from '../router';
import type { Inspection } from '../types';
import { Findings } from './findings';
import { Badge, Card, Facts, Mono } from './ui';

/** The decoded challenge on the left; the warnings and what to do about it on the right. */
export function InspectionView({
  inspection,
  children,
}: {
  inspection: Inspection;
  children: ReactNode;
}) {
  const asked = inspection.asked;
  const claimed = inspection.claimedLicense;
  const record = inspection.license;
  return (
    <div className="grid-2">
      <Card title="2. What the challenge says">
        <h3 className="subhead">Installation</h3>
        <Facts
          items={[
            ['Installation ID', <Mono key="i">{inspection.installationId}</Mono>],
            ['Product', `${inspection.product.name} ${inspection.product.version}`],
            ['Credentials in use', inspection.usage.credentialsInUse.toLocaleString()],
            ['Made', formatTime(inspection.issuedAt * 1000)],
            [
              'Valid until',
              inspection.expired ? (
                <Badge key="e" value="expired" tone="revoked" />
              ) : (
                formatSeconds(inspection.expiresAt)
              ),
            ],
            [
              'Known since',
              inspection.installation
                ? formatTime(inspection.installation.firstSeenAt)
                : 'First time seen',
            ],
          ]}
        />
        <h3 className="subhead">License in force</h3>
        {claimed ? (
          <Facts
            items={[
              [
                'License ID',
                record ? (
                  <Link key="l" to={`/licenses/${claimed.id}`}>
                    {claimed.id}
                  </Link>
                ) : (
                  <Mono key="l">{claimed.id}</Mono>
                ),
              ],
              ['Customer', claimed.customerName],
              ['Model', claimed.model],
              [
                'Revision',
                `${claimed.revision}${record ? ` (on record: ${record.revision})` : ''}`,
              ],
              ...(record
                ? ([['State on record', <Badge key="s" value={record.state} />]] as [
                    string,
                    ReactNode,
                  ][])
                : []),
            ]}
          />
        ) : (
          <p className="muted">None: this installation has no license yet.</p>
        )}
        <h3 className="subhead">What the customer asks for</h3>
        <Facts
          items={[
            ['Request', asked.kind === 'model-switch' ? 'Model switch' : 'License key'],
            ...(asked.credentials !== undefined
              ? ([['Credentials', asked.credentials.toLocaleString()]] as [string, string][])
              : []),
            ...(asked.model !== undefined ? ([['Model', asked.model]] as [string, string][]) : []),
            ...(asked.customerName !== undefined
              ? ([['Customer name', asked.customerName]] as [string, string][])
              : []),
          ]}
        />
      </Card>
      <div>
        <Card title="Warnings">
          <Findings findings={inspection.findings} />
        </Card>
        {children}
      </div>
    </div>
  );
}
