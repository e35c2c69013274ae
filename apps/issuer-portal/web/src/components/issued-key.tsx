// A freshly signed license key: shown in full, with Copy, Download .txt and the transaction
// id the customer's CMS will display. When the installation trusts an older version of the
// vendor's key set (#11), the box holds the armoured bundle instead: the key set versions it
// lacks, then the key, as `licensor-issuer issue --armour` prints it; the CMS applies it whole.
import { useRef } from 'react';
import { Link } from '../router';
import type { IssueAnswer } from '../types';
import { CopyButton, downloadText } from './copy-button';
import { Alert, Button, Card, Facts, Mono } from './ui';

export function IssuedKey({
  answer,
  onNext,
  onlineOnly = false,
}: {
  answer: IssueAnswer;
  onNext?: () => void;
  /** A renewal or re-issue: it answers no challenge, so only the online check delivers it. */
  onlineOnly?: boolean;
}) {
  const keyArea = useRef<HTMLTextAreaElement>(null);
  const license = answer.license;
  const relayed = answer.keysets?.length ?? 0;
  // The bundle is for pasting; a key that answers no challenge is not pasted.
  const keysets = onlineOnly ? 0 : relayed;
  const text = keysets > 0 ? answer.armoured : answer.licenseKey;
  return (
    <Card title="License key" className="card-success">
      {onlineOnly ? (
        <Alert tone="success" title="Key issued">
          The installation receives this key at its next online check (Verify License)
          {relayed > 0
            ? `, with the ${relayed === 1 ? 'key set version' : `${relayed} key set versions`} of your signing keys it lacks`
            : ''}
          . It answers no challenge, so the CMS does not take it pasted: an offline installation
          sends a challenge and gets a key issued for it.
        </Alert>
      ) : answer.replayed ? (
        <Alert tone="info" title="Issued before">
          A key was already issued for this challenge and these terms: this is the same key and the
          same transaction.
        </Alert>
      ) : license.revision > 1 ? (
        <Alert tone="success" title="Key issued">
          The installation receives this key at its next online check (Verify License). You can also
          send it now: their administrator pastes it into the CMS (Options → License → Upgrade).
        </Alert>
      ) : (
        <Alert tone="success" title="Key issued">
          Send this key to the customer. Their administrator pastes it into the CMS (Options →
          License → Upgrade).
        </Alert>
      )}
      {keysets > 0 ? (
        <Alert tone="info" title="Sent with your newer signing keys">
          This installation trusts an older version of your key set, so the text below carries the{' '}
          {keysets === 1 ? 'key set version' : `${keysets} key set versions`} it lacks, then the
          key. Send the whole text: the CMS applies the key sets first, then the key.
        </Alert>
      ) : null}
      <label htmlFor="license-key" className="label-strong">
        {keysets > 0 ? 'License key with key sets' : 'License key'} for {license.customerName}
      </label>
      <textarea
        id="license-key"
        ref={keyArea}
        className="input textarea key-text"
        readOnly
        value={text}
        rows={keysets > 0 ? 12 : 6}
        data-testid="license-key"
        onFocus={(e) => e.currentTarget.select()}
      />
      <div className="button-row">
        <CopyButton text={text} label="Copy key" fallbackTarget={() => keyArea.current} />
        <Button
          onClick={() =>
            downloadText(`license-${license.id}-rev${license.revision}.txt`, `${answer.armoured}\n`)
          }
        >
          Download .txt
        </Button>
        {onNext ? (
          <Button tone="ghost" onClick={onNext}>
            Issue another
          </Button>
        ) : null}
      </div>
      <Facts
        items={[
          ['Transaction ID', <Mono key="t">{answer.transactionId}</Mono>],
          [
            'License',
            <Link key="l" to={`/licenses/${license.id}`}>
              {license.id}
            </Link>,
          ],
          ['Revision', String(license.revision)],
          ['Model', license.model],
          ['Credentials', license.credentials.toLocaleString()],
        ]}
      />
    </Card>
  );
}
