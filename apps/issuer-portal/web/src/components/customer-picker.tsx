// A customer chosen by typing: the first letters of the name ask the API for the customers whose
// name starts with them (`GET /customers?q=…&limit=20`, a range on the name index), never the
// whole list, so it works the same with ten customers or a million. A combobox: the arrow keys
// move through the matches, Enter or a click chooses one, Escape closes the list; "All
// customers" (the clear button) drops the choice.
import { type KeyboardEvent, useEffect, useId, useState } from 'react';
import { api } from '../api';
import type { Customer, PageOf } from '../types';
import { Button } from './ui';

/** Matches shown at once; typing more letters narrows them. */
export const CUSTOMER_MATCHES = 20;
/** The pause after a key before the API is asked, so a word typed is one request. */
const TYPING_PAUSE_MS = 200;

export function CustomerPicker({
  customerId,
  onChange,
}: {
  /** The chosen customer's id; '' for none. */
  customerId: string;
  onChange: (customerId: string) => void;
}) {
  const id = useId();
  const listId = `${id}-list`;
  const [text, setText] = useState('');
  const [open, setOpen] = useState(false);
  const [matches, setMatches] = useState<Customer[] | null>(null);
  const [more, setMore] = useState(false);
  const [active, setActive] = useState(-1);
  const [failed, setFailed] = useState(false);

  // The chosen customer's name, for an address that names only its id.
  useEffect(() => {
    if (customerId === '') {
      setText('');
      return;
    }
    let live = true;
    api.get<Customer>(`/customers/${encodeURIComponent(customerId)}`).then(
      (customer) => live && setText(customer.name),
      () => live && setText(customerId),
    );
    return () => {
      live = false;
    };
  }, [customerId]);

  // The matches for what is typed, asked for after a pause; an older answer never wins.
  useEffect(() => {
    if (!open) return;
    const q = text.trim();
    let live = true;
    const timer = window.setTimeout(() => {
      api
        .get<PageOf<Customer>>('/customers', {
          ...(q === '' ? {} : { q }),
          limit: CUSTOMER_MATCHES,
        })
        .then(
          (page) => {
            if (!live) return;
            setMatches(page.items);
            setMore(page.nextCursor !== null);
            setActive(page.items.length > 0 ? 0 : -1);
            setFailed(false);
          },
          () => live && setFailed(true),
        );
    }, TYPING_PAUSE_MS);
    return () => {
      live = false;
      window.clearTimeout(timer);
    };
  }, [text, open]);

  const choose = (customer: Customer) => {
    setText(customer.name);
    setOpen(false);
    onChange(customer.id);
  };
  const onKeyDown = (event: KeyboardEvent<HTMLInputElement>) => {
    if (event.key === 'ArrowDown') {
      event.preventDefault();
      setOpen(true);
      setActive((i) => Math.min(i + 1, (matches?.length ?? 0) - 1));
    } else if (event.key === 'ArrowUp') {
      event.preventDefault();
      setActive((i) => Math.max(i - 1, 0));
    } else if (event.key === 'Enter' && open && matches?.[active]) {
      event.preventDefault();
      choose(matches[active]);
    } else if (event.key === 'Escape') {
      setOpen(false);
    }
  };
  const optionId = (index: number) => `${id}-option-${index}`;
  return (
    <div className="field customer-picker">
      <label htmlFor={id}>Customer</label>
      <div className="customer-picker-box">
        <input
          id={id}
          className="input"
          role="combobox"
          autoComplete="off"
          placeholder="All customers: type a name"
          aria-autocomplete="list"
          aria-expanded={open}
          aria-controls={listId}
          aria-activedescendant={open && active >= 0 ? optionId(active) : undefined}
          value={text}
          onChange={(e) => {
            setText(e.target.value);
            setOpen(true);
          }}
          onFocus={() => setOpen(true)}
          onBlur={() => setOpen(false)}
          onKeyDown={onKeyDown}
        />
        {customerId !== '' ? (
          <Button
            tone="ghost"
            aria-label="All customers"
            onClick={() => {
              setText('');
              onChange('');
            }}
          >
            ×
          </Button>
        ) : null}
      </div>
      {open ? (
        <div id={listId} role="listbox" aria-label="Customers" className="customer-picker-list">
          {(matches ?? []).map((customer, index) => (
            <div
              key={customer.id}
              id={optionId(index)}
              role="option"
              tabIndex={-1}
              aria-selected={index === active}
              // Chosen before the input's blur closes the list.
              onMouseDown={(e) => {
                e.preventDefault();
                choose(customer);
              }}
            >
              {customer.name}
            </div>
          ))}
          {failed ? <div className="muted">The customers could not be searched.</div> : null}
          {!failed && matches === null ? <div className="muted">Searching…</div> : null}
          {!failed && matches?.length === 0 ? (
            <div className="muted">No customer’s name starts with that.</div>
          ) : null}
          {more ? <div className="muted">More match: type more of the name.</div> : null}
        </div>
      ) : null}
    </div>
  );
}
