// The portal's two modals, built on <dialog> (the browser gives focus trapping and Escape to
// close). Use these instead of writing <dialog> markup on a page:
//
// - <Dialog open title onClose footer?>: a modal with a title, a body and an optional footer
//   (a Close button when there is none). For showing something, or a form with its own buttons.
// - <Confirm open title confirmLabel tone? onConfirm onClose>: asks before an action. The body
//   says what will happen (and may hold fields: a reason, a number). `onConfirm` does the work;
//   while it runs the button is busy, a failure is shown in the dialog (which stays open) and
//   success closes it. Cancel and Escape close it without doing anything, but not while the
//   action runs (Cancel is disabled, Escape does nothing): it ends in the dialog. Its
//   fields are checked by the page and the server (errors at the field and in the dialog), not
//   by the browser's validation bubbles, as every form of the portal.
// - <FormDialog open title submitLabel errorTitle onSubmit onClose>: a create form in a dialog
//   (the fields are its children). Submitting runs `onSubmit` with the button busy; a failure is
//   shown inside, above the fields, and the dialog stays open with what was typed; on success
//   the caller decides what comes next (close, or show what was made, e.g. a <ShownOnce>).
//   Like Confirm, it cannot be cancelled while the form is being sent.
import {
  type FormEvent,
  type KeyboardEvent,
  type ReactNode,
  type RefObject,
  type SyntheticEvent,
  useEffect,
  useId,
  useRef,
} from 'react';
import { useAction } from '../use-api';
import { Button, ErrorMessage } from './ui';

/** Opens and closes the native dialog as `open` says. */
function useModal(open: boolean) {
  const ref = useRef<HTMLDialogElement>(null);
  useEffect(() => {
    const dialog = ref.current;
    if (!dialog) return;
    if (open && !dialog.open) dialog.showModal();
    if (!open && dialog.open) dialog.close();
  }, [open]);
  return ref;
}

/**
 * While `busy`, the dialog stays open: Escape and the browser's cancel (its `cancel` event) do
 * nothing, and should it close anyway while the page still has it open, it opens again. A
 * dialog closed in the middle of an action looked cancelled while the action went on, and its
 * answer (an error, a secret shown once) was lost.
 */
function useHeldWhileBusy(
  ref: RefObject<HTMLDialogElement | null>,
  open: boolean,
  busy: boolean,
  onClose: () => void,
) {
  const state = useRef({ open, busy });
  state.current = { open, busy };
  // Escape wherever focus is: the busy button is disabled, and focus then leaves the dialog for
  // the page, where the dialog's own onKeyDown never sees the key. Chromium lets a page refuse
  // a dialog's cancel once per user activation: the second Escape closed it (then it reopened,
  // a flicker, in a later task). A key refused at its keydown makes no close request at all.
  useEffect(() => {
    if (!open || !busy) return;
    const refuseEscape = (event: globalThis.KeyboardEvent) => {
      if (event.key === 'Escape') event.preventDefault();
    };
    document.addEventListener('keydown', refuseEscape, true);
    return () => document.removeEventListener('keydown', refuseEscape, true);
  }, [open, busy]);
  return {
    onCancel: (event: SyntheticEvent<HTMLDialogElement>) => {
      if (state.current.busy) event.preventDefault();
    },
    onKeyDown: (event: KeyboardEvent<HTMLDialogElement>) => {
      if (state.current.busy && event.key === 'Escape') event.preventDefault();
    },
    onClose: () => {
      const dialog = ref.current;
      if (state.current.busy && state.current.open && dialog && !dialog.open) {
        dialog.showModal();
        return;
      }
      onClose();
    },
  };
}

/**
 * A dialog's form submit: runs `work` once at a time with `busy` set and any failure kept in
 * `error`; a dialog opened again starts without the last attempt's error.
 */
function useDialogAction(open: boolean, work: () => Promise<void>) {
  const { busy, error, run, reset } = useAction();
  useEffect(() => {
    if (open) reset();
  }, [open, reset]);
  const submit = (event: FormEvent) => {
    event.preventDefault();
    if (busy) return;
    void run(work);
  };
  return { busy, error, submit };
}

export function Dialog({
  open,
  title,
  children,
  footer,
  busy = false,
  onClose,
}: {
  open: boolean;
  title: ReactNode;
  children: ReactNode;
  /** Buttons at the bottom; a Close button when left out. */
  footer?: ReactNode;
  /** True while an action of the dialog runs: Escape does not close it meanwhile. */
  busy?: boolean;
  onClose: () => void;
}) {
  const ref = useModal(open);
  const titleId = useId();
  const held = useHeldWhileBusy(ref, open, busy, onClose);
  return (
    <dialog ref={ref} className="dialog" aria-labelledby={titleId} {...held}>
      <div className="dialog-inner">
        <h2 id={titleId} className="dialog-title">
          {title}
        </h2>
        <div className="dialog-body">{children}</div>
        <div className="dialog-actions">
          {footer ?? (
            <Button onClick={onClose} disabled={busy}>
              Close
            </Button>
          )}
        </div>
      </div>
    </dialog>
  );
}

export function Confirm({
  open,
  title,
  children,
  confirmLabel,
  cancelLabel = 'Cancel',
  tone = 'primary',
  disabled = false,
  onConfirm,
  onClose,
}: {
  open: boolean;
  title: ReactNode;
  /** What will happen, and any fields the action needs. */
  children?: ReactNode;
  confirmLabel: string;
  cancelLabel?: string;
  tone?: 'primary' | 'danger';
  /** True while the fields do not allow the action yet. */
  disabled?: boolean;
  /** The action. Resolves: the dialog closes. Throws an ApiError: it is shown, the dialog stays. */
  onConfirm: () => Promise<void> | void;
  onClose: () => void;
}) {
  const ref = useModal(open);
  const titleId = useId();
  const { busy, error, submit } = useDialogAction(open, async () => {
    await onConfirm();
    onClose();
  });
  const held = useHeldWhileBusy(ref, open, busy, onClose);
  return (
    <dialog ref={ref} className="dialog" aria-labelledby={titleId} data-testid="confirm" {...held}>
      <form onSubmit={submit} className="dialog-inner" noValidate>
        <h2 id={titleId} className="dialog-title">
          {title}
        </h2>
        {children ? <div className="dialog-body">{children}</div> : null}
        {error ? <ErrorMessage error={error} /> : null}
        <div className="dialog-actions">
          <Button onClick={onClose} disabled={busy}>
            {cancelLabel}
          </Button>
          <Button type="submit" tone={tone} busy={busy} disabled={disabled}>
            {confirmLabel}
          </Button>
        </div>
      </form>
    </dialog>
  );
}

export function FormDialog({
  open,
  title,
  children,
  submitLabel,
  errorTitle,
  onSubmit,
  onClose,
}: {
  open: boolean;
  title: ReactNode;
  /** The fields. */
  children: ReactNode;
  submitLabel: string;
  /** The heading of a refusal shown in the dialog, e.g. "The token was not created". */
  errorTitle: string;
  /** Sends the form. Throws an ApiError: it is shown in the dialog, which stays open. */
  onSubmit: () => Promise<void>;
  onClose: () => void;
}) {
  const formId = useId();
  const { busy, error, submit } = useDialogAction(open, onSubmit);
  // A long form scrolls inside the dialog: a refusal shown above the fields is brought into view.
  const errorRef = useRef<HTMLDivElement>(null);
  useEffect(() => {
    if (error) errorRef.current?.scrollIntoView?.({ block: 'nearest' });
  }, [error]);
  return (
    <Dialog
      open={open}
      title={title}
      busy={busy}
      onClose={onClose}
      footer={
        <>
          <Button onClick={onClose} disabled={busy}>
            Cancel
          </Button>
          <Button type="submit" form={formId} tone="primary" busy={busy}>
            {submitLabel}
          </Button>
        </>
      }
    >
      <form id={formId} onSubmit={submit} noValidate>
        {error ? (
          <div ref={errorRef}>
            <ErrorMessage error={error} title={errorTitle} />
          </div>
        ) : null}
        {children}
      </form>
    </Dialog>
  );
}
