// The portal's one table. Give it columns and rows; it draws the header, the rows, the empty
// state, and lays itself out for the screen:
// - wide screens: a table whose long cells wrap (ids break, details wrap) instead of pushing the
//   page sideways; anything still too wide scrolls inside the table's own box, never the page;
// - phones (up to 640 px): each row becomes a small card, one "label: value" line per column
//   (the label is the column header), actions at the bottom.
//
//   <Table
//     label="Licenses"                       // the accessible name (tests find it by this)
//     rows={licenses}
//     rowKey={(l) => l.id}
//     empty={<Empty title="No licenses yet." />}  // or a string
//     columns={[
//       { header: 'License', cell: (l) => <Link ...>{l.id}</Link>, primary: true },
//       { header: 'Credentials', cell: (l) => l.credentials, align: 'num' },
//       { header: 'Actions', hideHeader: true, cell: (l) => <Button .../>, align: 'actions' },
//     ]}
//   />
import type { ReactNode } from 'react';
import { Empty } from './ui';

export interface Column<T> {
  /** The header; also the label of the value on a phone. */
  header: string;
  cell: (row: T) => ReactNode;
  /** `num`: right-aligned tabular figures; `actions`: buttons, right-aligned. */
  align?: 'num' | 'actions';
  /** Keep on one line (dates, short codes). */
  nowrap?: boolean;
  /** The header is read by screen readers but not shown (an actions column). */
  hideHeader?: boolean;
  /** The row's title on a phone: shown first, bold, without a label. */
  primary?: boolean;
  className?: string;
}

export function Table<T>({
  label,
  columns,
  rows,
  rowKey,
  empty,
  compact = false,
  footer,
}: {
  label: string;
  columns: Column<T>[];
  rows: readonly T[];
  rowKey: (row: T) => string;
  /** Shown instead of the table when there are no rows. */
  empty?: ReactNode;
  /** Tighter rows, for long lists read at a glance (events, checks). */
  compact?: boolean;
  /** Below the table, inside its box (a pager). */
  footer?: ReactNode;
}) {
  if (rows.length === 0 && empty !== undefined) {
    return typeof empty === 'string' ? <Empty title={empty} /> : empty;
  }
  const classOf = (column: Column<T>) =>
    [
      column.align,
      column.nowrap ? 'nowrap' : null,
      column.primary ? 'cell-primary' : null,
      column.className,
    ]
      .filter(Boolean)
      .join(' ') || undefined;
  return (
    <div className="table-box">
      <div className="table-scroll">
        <table
          className={`table table-responsive${compact ? ' table-compact' : ''}`}
          aria-label={label}
        >
          <thead>
            <tr>
              {columns.map((column) => (
                <th key={column.header} scope="col" className={classOf(column)}>
                  {column.hideHeader ? (
                    <span className="visually-hidden">{column.header}</span>
                  ) : (
                    column.header
                  )}
                </th>
              ))}
            </tr>
          </thead>
          <tbody>
            {rows.map((row) => (
              <tr key={rowKey(row)}>
                {columns.map((column) => (
                  <td
                    key={column.header}
                    className={classOf(column)}
                    data-label={column.hideHeader || column.primary ? undefined : column.header}
                  >
                    {column.cell(row)}
                  </td>
                ))}
              </tr>
            ))}
          </tbody>
        </table>
      </div>
      {footer}
    </div>
  );
}
