// Issue a key: paste (or drop) the challenge the customer sent, read what it says and what
// the store knows, settle the terms, and hand out the signed key.
import { type DragEvent, type FormEvent, type ReactNode, useState } from 'react';
import { ApiError, api } from '../api';
import { Findings } from '../components/findings';
import { IssuedKey } from '../components/issued-key';
import { TermsForm } from '../components/terms-form';
import {
  Alert,
  Badge,
  Button,
  Card,
  ErrorMessage,
  Facts,
  Mono,
  PageHeader,
  TextArea,
} from '../components/ui';
import { formatSeconds, formatTime } from '../format';
import { Link } from '../router';
import { useSession } from '../session';
import type { Inspection, IssueAnswer, Terms } from '../types';

export function IssuePage() {
  const { can } = useSession();
  const [challenge, setChallenge] = useState('');
  const [inspection, setInspection] = useState<Inspection | null>(null);
  const [answer, setAnswer] = useState<IssueAnswer | null>(null);
  const [error, setError] = useState<ApiError | null>(null);
  const [busy, setBusy] = useState<'inspect' | 'issue' | null>(null);
  const [dragging, setDragging] = useState(false);

  const reset = () => {
    setChallenge('');
    setInspection(null);
    setAnswer(null);
    setError(null);
  };

  const inspect = async (text: string) => {
    if (!text.trim()) {
      setError(new ApiError(400, 'ERR_REQUEST_INVALID', 'Paste the challenge first.', null));
      return;
    }
    setBusy('inspect');
    setError(null);
    setInspection(null);
    setAnswer(null);
    try {
      setInspection(await api.post<Inspection>('/challenges/inspect', { challenge: text }));
    } catch (failure) {
      setError(failure as ApiError);
    } finally {
      setBusy(null);
    }
  };

  const issue = async (terms: Terms) => {
    setBusy('issue');
    setError(null);
    try {
      setAnswer(await api.post<IssueAnswer>('/challenges/issue', { challenge, terms }));
    } catch (failure) {
      setError(failure as ApiError);
    } finally {
      setBusy(null);
    }
  };

  const approve = async (requestId: string, terms: Terms) => {
    setBusy('issue');
    setError(null);
    try {
      const body: Record<string, number> = { credentials: terms.credentials };
      if (terms.termDays !== undefined) body.termDays = terms.termDays;
      if (terms.graceDays !== undefined) body.graceDays = terms.graceDays;
      setAnswer(await api.post<IssueAnswer>(`/requests/${requestId}/approve`, body));
    } catch (failure) {
      setError(failure as ApiError);
    } finally {
      setBusy(null);
    }
  };

  const onDrop = async (event: DragEvent<HTMLTextAreaElement>) => {
    event.preventDefault();
    setDragging(false);
    const file = event.dataTransfer.files[0];
    if (!file) return;
    if (file.size > 64 * 1024) {
      setError(
        new ApiError(
          413,
          'ERR_INPUT_TOO_LARGE',
          `${file.name} is too large to be a challenge.`,
          null,
        ),
      );
      return;
    }
    const text = await file.text();
    setChallenge(text);
    await inspect(text);
  };

  const onSubmit = (event: FormEvent) => {
    event.preventDefault();
    void inspect(challenge);
  };

  if (!can('issuer')) {
    return (
      <>
        <PageHeader title="Issue a key" />
        <Alert tone="info">Issuing keys needs the issuer role. Ask an administrator.</Alert>
      </>
    );
  }

  const pendingApproval =
    inspection?.approvalRequest?.status === 'pending' ? inspection.approvalRequest : null;

  return (
    <>
      <PageHeader
        title="Issue a key"
        subtitle="Paste the challenge a customer sent (or drop the .txt file), check what it asks for, and issue the key."
        actions={inspection || answer ? <Button onClick={reset}>Start over</Button> : null}
      />
      {answer ? <IssuedKey answer={answer} onNext={reset} /> : null}
      {!answer ? (
        <Card title="1. Challenge">
          <form onSubmit={onSubmit}>
            <div className={`dropzone${dragging ? ' dropzone-active' : ''}`}>
              <TextArea
                label="Challenge"
                name="challenge"
                rows={inspection ? 3 : 7}
                spellCheck={false}
                placeholder="-----BEGIN LICENSOR CHALLENGE-----  or  eyJ…"
                hint="Line breaks, spaces and the BEGIN/END lines are ignored. You can also drop the .txt file here."
                value={challenge}
                onChange={(e) => setChallenge(e.target.value)}
                onDragOver={(e) => {
                  e.preventDefault();
                  setDragging(true);
                }}
                onDragLeave={() => setDragging(false)}
                onDrop={onDrop}
              />
            </div>
            <div className="button-row">
              <Button
                type="submit"
                tone={inspection ? 'secondary' : 'primary'}
                busy={busy === 'inspect'}
              >
                Read challenge
              </Button>
              <label className="btn btn-ghost file-button">
                Open .txt file…
                <input
                  type="file"
                  accept=".txt,text/plain"
                  className="visually-hidden"
                  onChange={async (e) => {
                    const file = e.target.files?.[0];
                    if (!file) return;
                    const text = await file.text();
                    setChallenge(text);
                    await inspect(text);
                  }}
                />
              </label>
            </div>
          </form>
        </Card>
      ) : null}
      {error ? <ErrorMessage error={error} title={errorTitle(error)} /> : null}
      {inspection && !answer ? (
        <InspectionView inspection={inspection}>
          {pendingApproval ? (
            <Card title="3. Approve the request">
              <Alert tone="warning" title="This challenge needs approval">
                It asks for a{' '}
                {pendingApproval.kind === 'model-switch'
                  ? `switch to ${pendingApproval.asked.model}`
                  : 'move to another installation'}
                . Approving signs the key that completes it; you can also decide later on the{' '}
                <Link to="/requests">Requests</Link> page.
              </Alert>
              <TermsForm
                initial={inspection.suggestedTerms}
                busy={busy === 'issue'}
                submitLabel="Approve and issue"
                onSubmit={(terms) => approve(pendingApproval.id, terms)}
              />
            </Card>
          ) : (
            <Card title="3. Terms">
              <TermsForm
                initial={inspection.suggestedTerms}
                busy={busy === 'issue'}
                submitLabel="Issue key"
                onSubmit={issue}
              />
            </Card>
          )}
        </InspectionView>
      ) : null}
    </>
  );
}

function errorTitle(error: ApiError): string {
  if (
    error.code.startsWith('ERR_JWS') ||
    error.code.startsWith('ERR_BASE64') ||
    error.code === 'ERR_JSON_INVALID'
  ) {
    return 'This is not a readable challenge';
  }
  if (error.code === 'ERR_SIGNATURE_INVALID') return 'The challenge was altered';
  if (error.code === 'ERR_CLAIMS_INVALID') return 'The challenge is not valid';
  return 'That did not work';
}

/** The decoded challenge on the left; the warnings and what to do about it on the right. */
function InspectionView({ inspection, children }: { inspection: Inspection; children: ReactNode }) {
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
