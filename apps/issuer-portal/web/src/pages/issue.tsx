// Issue a key: paste (or drop) the challenge the customer sent, read what it says and what
// the store knows, settle the terms, and hand out the signed key.
import { type DragEvent, type FormEvent, useEffect, useRef, useState } from 'react';
import { ApiError, api } from '../api';
import { InspectionView } from '../components/inspection-view';
import { IssuedKey } from '../components/issued-key';
import { type TermsDraft, TermsForm } from '../components/terms-form';
import {
  Alert,
  Button,
  Card,
  ErrorMessage,
  focusHeading,
  PageHeader,
  TextArea,
} from '../components/ui';
import { clearDraft, loadDraft, saveDraft } from '../drafts';
import { Link } from '../router';
import { useSession } from '../session';
import type { Inspection, IssueAnswer, ListOf, Plan, Terms } from '../types';
import { useApi } from '../use-api';

/** A challenge file is a few KB: a larger one (dropped or opened) is refused unread. */
const MAX_CHALLENGE_FILE = 64 * 1024;

/** What the page keeps across a session's end (drafts.ts): the box, whether it was read, the terms. */
interface IssueDraft {
  challenge: string;
  read: boolean;
  terms: TermsDraft | null;
}
const DRAFT = 'issue';

export function IssuePage() {
  const { can, info } = useSession();
  const userId = info?.user.id ?? '';
  // What was typed here before the session ended, brought back once (and read again if it was).
  const [restored, setRestored] = useState<IssueDraft | null>(() =>
    userId ? loadDraft<IssueDraft>(userId, DRAFT) : null,
  );
  const [challenge, setChallengeText] = useState(restored?.challenge ?? '');
  // The inspection with the exact text it read: issuing sends that text, never what the box
  // holds now. Any change to the box drops it (back to "Read challenge").
  const [inspected, setInspected] = useState<{ text: string; inspection: Inspection } | null>(null);
  const inspection = inspected?.inspection ?? null;
  // The box's text now, for an inspection that answers after the box changed.
  const current = useRef(restored?.challenge ?? '');
  const [answer, setAnswer] = useState<IssueAnswer | null>(null);
  const [error, setError] = useState<ApiError | null>(null);
  const [busy, setBusy] = useState<'inspect' | 'issue' | null>(null);
  const [dragging, setDragging] = useState(false);
  const plans = useApi(() => api.get<ListOf<Plan>>('/plans'), []);

  // The terms last submitted: "Replace the license it holds" issues them again with supersede.
  const [lastTerms, setLastTerms] = useState<Terms | null>(null);

  // The busy button that was pressed is gone or disabled once the answer is shown: focus goes
  // to the answer's heading ("2. What the challenge says", "License key"), not to <body>.
  const inspectionRef = useRef<HTMLDivElement>(null);
  const answerRef = useRef<HTMLDivElement>(null);
  useEffect(() => {
    if (inspected) focusHeading(inspectionRef.current?.querySelector('h2'));
  }, [inspected]);
  useEffect(() => {
    if (answer) focusHeading(answerRef.current?.querySelector('h2'));
  }, [answer]);

  // The terms typed for the challenge read: kept with it until issued or started over.
  const termsTyped = useRef<TermsDraft | null>(restored?.terms ?? null);
  const keep = (text: string, read: boolean) => {
    if (!userId) return;
    if (!text.trim()) clearDraft(userId, DRAFT);
    else
      saveDraft(userId, DRAFT, { challenge: text, read, terms: read ? termsTyped.current : null });
  };
  const onTermsDraft = (terms: TermsDraft) => {
    termsTyped.current = terms;
    if (inspected) keep(inspected.text, true);
  };
  // Once, at mount: a restored challenge that had been read is read again.
  // biome-ignore lint/correctness/useExhaustiveDependencies: at mount only, with what it restored.
  useEffect(() => {
    if (restored?.read) void inspect(restored.challenge);
  }, []);

  const setChallenge = (text: string) => {
    current.current = text;
    if (restored && text !== restored.challenge) setRestored(null);
    termsTyped.current = null;
    keep(text, false);
    setChallengeText(text);
    if (inspected && text !== inspected.text) {
      setInspected(null);
      setLastTerms(null);
      setError(null);
    }
  };

  const reset = () => {
    setRestored(null);
    setChallenge('');
    setInspected(null);
    setLastTerms(null);
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
    setInspected(null);
    setLastTerms(null);
    setAnswer(null);
    try {
      const answer = await api.post<Inspection>('/challenges/inspect', { challenge: text });
      // The box changed while it was read: this inspection is not of what it holds.
      if (current.current === text) {
        setInspected({ text, inspection: answer });
        keep(text, true);
      }
    } catch (failure) {
      if (current.current === text) setError(failure as ApiError);
    } finally {
      setBusy(null);
    }
  };

  /** Issued or approved: nothing left to bring back. */
  const finished = () => {
    setRestored(null);
    if (userId) clearDraft(userId, DRAFT);
  };

  const issue = async (terms: Terms, supersede = false) => {
    if (!inspected) return;
    const challenge = inspected.text;
    setBusy('issue');
    setError(null);
    setLastTerms(terms);
    try {
      const body = supersede ? { challenge, terms, supersede } : { challenge, terms };
      setAnswer(await api.post<IssueAnswer>('/challenges/issue', body));
      finished();
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
      finished();
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
    await readFile(file);
  };

  /** A dropped or opened file: larger than 64 KB it is no challenge, and is not read. */
  const readFile = async (file: File) => {
    if (file.size > MAX_CHALLENGE_FILE) {
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

  // The restored terms go to the form of the restored challenge only.
  const savedTerms = restored && inspected?.text === restored.challenge ? restored.terms : null;

  const pendingApproval =
    inspection?.approvalRequest?.status === 'pending' ? inspection.approvalRequest : null;

  return (
    <>
      <PageHeader
        title="Issue a key"
        subtitle="Paste the challenge a customer sent (or drop the .txt file), check what it asks for, and issue the key."
        actions={inspection || answer ? <Button onClick={reset}>Start over</Button> : null}
      />
      {restored && !answer ? (
        <Alert tone="info" title="Brought back">
          Your session had ended: the challenge{restored.terms ? ' and the terms' : ''} you had
          entered are back. Check them before you go on.
        </Alert>
      ) : null}
      {answer ? (
        <div ref={answerRef} className="contents">
          <IssuedKey answer={answer} onNext={reset} />
        </div>
      ) : null}
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
                    // The same file may be chosen again after a refusal.
                    e.target.value = '';
                    if (!file) return;
                    await readFile(file);
                  }}
                />
              </label>
            </div>
          </form>
        </Card>
      ) : null}
      {error ? <ErrorMessage error={error} title={errorTitle(error)} /> : null}
      {error?.code === 'ERR_INSTALLATION_LICENSED' && inspected && lastTerms ? (
        <div className="button-row">
          <Button tone="danger" busy={busy === 'issue'} onClick={() => issue(lastTerms, true)}>
            Replace the license it holds
          </Button>
        </div>
      ) : null}
      {inspection && !answer ? (
        <div ref={inspectionRef} className="contents">
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
                  approval
                  saved={savedTerms}
                  onDraft={onTermsDraft}
                  refusal={error}
                  onSubmit={(terms) => approve(pendingApproval.id, terms)}
                />
              </Card>
            ) : (
              <Card title="3. Terms">
                <TermsForm
                  initial={inspection.suggestedTerms}
                  plans={plans.data?.items ?? []}
                  busy={busy === 'issue'}
                  submitLabel="Issue key"
                  saved={savedTerms}
                  onDraft={onTermsDraft}
                  refusal={error}
                  onSubmit={(terms) => issue(terms)}
                />
              </Card>
            )}
          </InspectionView>
        </div>
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
  if (error.code === 'ERR_INSTALLATION_LICENSED')
    return 'This installation already holds a license';
  return 'That did not work';
}
