// What a user typed on a form that a session ending would wipe (the Issue page: the pasted
// challenge and the terms). The app shows the login page in place of the page when the server
// says the session is over, which unmounts the page; the draft is kept in this tab's
// sessionStorage under the user's name, so logging in again as the same user brings it back.
// Another user logging in on the tab, or a logout, removes every draft; so does finishing the
// form (issued, or Start over). Nothing secret is kept: a challenge is what a customer mails.
// Where sessionStorage is unavailable (storage off, quota), drafts are simply not kept.

const PREFIX = 'licensor.draft.';

const keyOf = (user: string, form: string) => `${PREFIX}${form}:${user}`;

function storage(): Storage | null {
  try {
    return window.sessionStorage;
  } catch {
    return null;
  }
}

export function saveDraft(user: string, form: string, value: unknown): void {
  try {
    storage()?.setItem(keyOf(user, form), JSON.stringify(value));
  } catch {
    // Quota or storage turned off: the draft is not kept, the form works as before.
  }
}

/** The draft `user` left on `form`, or null (none, or not readable). */
export function loadDraft<T>(user: string, form: string): T | null {
  try {
    const text = storage()?.getItem(keyOf(user, form));
    return text ? (JSON.parse(text) as T) : null;
  } catch {
    return null;
  }
}

export function clearDraft(user: string, form: string): void {
  try {
    storage()?.removeItem(keyOf(user, form));
  } catch {
    // Nothing to do: a draft that cannot be removed could not have been kept either.
  }
}

/** Removes every draft, or (with `keep`) every draft but that user's. */
export function clearDrafts(keep?: string): void {
  const store = storage();
  if (!store) return;
  try {
    const doomed: string[] = [];
    for (let i = 0; i < store.length; i++) {
      const key = store.key(i);
      if (key?.startsWith(PREFIX) && (keep === undefined || !key.endsWith(`:${keep}`))) {
        doomed.push(key);
      }
    }
    for (const key of doomed) store.removeItem(key);
  } catch {
    // As above.
  }
}
