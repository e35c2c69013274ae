// A secret the server gives out once (an API token, a webhook signing secret), in a dialog: the
// warning that it is shown this once, the secret in a read-only box that selects itself on
// focus, and a Copy button (selecting the text where the clipboard is refused). Closing the
// dialog forgets it: the page never shows it again.
import { type ReactNode, useId, useRef } from 'react';
import { CopyButton } from './copy-button';
import { Dialog } from './dialog';
import { Alert } from './ui';

export function ShownOnce({
  open,
  title,
  label,
  secret,
  copyLabel,
  warning,
  rows = 3,
  testId,
  children,
  note,
  onClose,
}: {
  open: boolean;
  title: ReactNode;
  /** The box's label, e.g. "Token". */
  label: string;
  secret: string;
  copyLabel: string;
  /** Why to copy it now, e.g. "Copy the token now: it is shown this once …". */
  warning: ReactNode;
  rows?: number;
  testId?: string;
  /** Shown above the warning (what was made). */
  children?: ReactNode;
  /** Shown under the Copy button (how to use it). */
  note?: ReactNode;
  onClose: () => void;
}) {
  const boxId = useId();
  const box = useRef<HTMLTextAreaElement>(null);
  return (
    <Dialog open={open} title={title} onClose={onClose}>
      {children}
      <Alert tone="warning">{warning}</Alert>
      <label htmlFor={boxId} className="label-strong">
        {label}
      </label>
      <textarea
        id={boxId}
        ref={box}
        className="input textarea mono"
        readOnly
        rows={rows}
        value={secret}
        data-testid={testId}
        onFocus={(e) => e.currentTarget.select()}
      />
      <div className="button-row">
        <CopyButton text={secret} label={copyLabel} fallbackTarget={() => box.current} />
      </div>
      {note}
    </Dialog>
  );
}
