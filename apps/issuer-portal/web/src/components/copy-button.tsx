// Copy to the clipboard, with a visible confirmation. Falls back to selecting the text when
// the clipboard API is refused (e.g. over plain HTTP on another host).
import { useState } from 'react';
import { Button } from './ui';

export function CopyButton({
  text,
  label = 'Copy',
  fallbackTarget,
}: {
  text: string;
  label?: string;
  fallbackTarget?: () => HTMLTextAreaElement | null;
}) {
  const [state, setState] = useState<'idle' | 'copied' | 'failed'>('idle');
  const copy = async () => {
    try {
      await navigator.clipboard.writeText(text);
      setState('copied');
    } catch {
      const target = fallbackTarget?.();
      if (target) {
        target.focus();
        target.select();
      }
      setState('failed');
    }
    window.setTimeout(() => setState('idle'), 2500);
  };
  return (
    <Button tone="primary" onClick={copy} aria-live="polite">
      {state === 'copied' ? 'Copied' : state === 'failed' ? 'Selected: press Ctrl+C' : label}
    </Button>
  );
}

/** Saves text as a file through a temporary object URL (no server round trip). */
export function downloadText(fileName: string, text: string, type = 'text/plain'): void {
  const url = URL.createObjectURL(new Blob([text], { type: `${type};charset=utf-8` }));
  const link = document.createElement('a');
  link.href = url;
  link.download = fileName;
  document.body.appendChild(link);
  link.click();
  link.remove();
  window.setTimeout(() => URL.revokeObjectURL(url), 1000);
}
