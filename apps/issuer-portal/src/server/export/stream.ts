// Streamed exports: rows are written as they are read, page by page, waiting for the client to
// take each chunk (backpressure), so no export holds a whole table in memory. CSV follows RFC
// 4180 (quotes doubled, CRLF), and a cell that a spreadsheet would run as a formula (= + - @,
// tab, CR) is prefixed with a single quote. JSON lines: one JSON object per line.
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { Response } from 'express';

export type ExportFormat = 'csv' | 'jsonl';

export function csvCell(value: unknown): string {
  if (value === null || value === undefined) return '';
  let text = typeof value === 'object' ? JSON.stringify(value) : String(value);
  if (/^[=+\-@\t\r]/.test(text)) text = `'${text}`;
  return /[",\r\n]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
}

export interface ExportColumns<T> {
  /** Header name and how to read it from a row. */
  [header: string]: (row: T) => unknown;
}

/** Writes pages from `pages` to the response as CSV or JSON lines, with backpressure. */
export async function streamExport<T>(
  res: Response,
  options: {
    format: ExportFormat;
    filename: string;
    columns: ExportColumns<T>;
    /** JSON lines: the object written per row. */
    json: (row: T) => unknown;
    pages: AsyncIterable<T[]>;
  },
): Promise<void> {
  const { format, columns } = options;
  // The first page is read before anything is sent: a store that fails then is answered with
  // the one error body, as any request is, not with a connection cut after a 200.
  const pages = options.pages[Symbol.asyncIterator]();
  let step = await pages.next();
  res.status(200);
  res.setHeader(
    'Content-Type',
    format === 'csv' ? 'text/csv; charset=utf-8' : 'application/x-ndjson; charset=utf-8',
  );
  res.setHeader(
    'Content-Disposition',
    `attachment; filename="${options.filename}.${format === 'csv' ? 'csv' : 'jsonl'}"`,
  );
  const headers = Object.keys(columns);
  async function* chunks(): AsyncGenerator<string> {
    try {
      if (format === 'csv') yield `${headers.map(csvCell).join(',')}\r\n`;
      while (step.done !== true) {
        let chunk = '';
        for (const row of step.value) {
          chunk +=
            format === 'csv'
              ? `${headers.map((h) => csvCell(columns[h]!(row))).join(',')}\r\n`
              : `${JSON.stringify(options.json(row))}\n`;
        }
        yield chunk;
        step = await pages.next();
      }
    } finally {
      // Ended early (the client went away, a write failed): the pages are read no further.
      if (step.done !== true) await pages.return?.();
    }
  }
  // pipeline waits for the client to take each chunk, and ends the reading of pages when the
  // response closes early: a client gone mid-download leaves no export waiting for 'drain'.
  try {
    await pipeline(Readable.from(chunks()), res);
  } catch (error) {
    // The client went away: nothing to answer.
    if ((error as NodeJS.ErrnoException).code === 'ERR_STREAM_PREMATURE_CLOSE') return;
    throw error;
  }
}
