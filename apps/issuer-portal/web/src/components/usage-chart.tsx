// A license's credentials in use per day against its cap, drawn with uPlot (a canvas chart,
// pinned in package.json), and the same numbers as a table for screen readers and for anyone
// who wants the figures. Days without a check are gaps, not zeros.
import { useEffect, useRef } from 'react';
import uPlot from 'uplot';
import 'uplot/dist/uPlot.min.css';
import type { LicenseUsage } from '../types';
import { CAP_COLOR, USAGE_COLOR } from '../usage-colors';
import { Table } from './table';

const DAY_S = 86_400;

/** Seconds of a UTC day's midnight. */
const secondsOf = (day: string) => Date.parse(`${day}T00:00:00Z`) / 1000;

/** Every day from `from` to `to`, with the days that have checks filled in (x in seconds). */
export function chartData(usage: LicenseUsage): uPlot.AlignedData {
  const byDay = new Map(usage.days.map((d) => [secondsOf(d.day), d]));
  const xs: number[] = [];
  const highest: (number | null)[] = [];
  const lowest: (number | null)[] = [];
  const cap: number[] = [];
  for (let x = secondsOf(usage.from); x <= secondsOf(usage.to); x += DAY_S) {
    const day = byDay.get(x);
    xs.push(x);
    highest.push(day?.usageMax ?? null);
    lowest.push(day?.usageMin ?? null);
    cap.push(usage.credentials);
  }
  return [xs, highest, lowest, cap];
}

export function UsageChart({ usage }: { usage: LicenseUsage }) {
  const box = useRef<HTMLDivElement>(null);
  useEffect(() => {
    const element = box.current;
    if (!element) return;
    const peak = Math.max(usage.credentials, ...usage.days.map((d) => d.usageMax));
    const plot = new uPlot(
      {
        width: Math.max(280, element.clientWidth),
        height: 240,
        scales: {
          x: { time: true },
          y: { range: () => [0, Math.ceil(peak * 1.1) || 1] },
        },
        series: [
          {},
          { label: 'Highest in use', stroke: USAGE_COLOR, width: 2, points: { size: 5 } },
          { label: 'Lowest in use', stroke: '#93c5fd', width: 1 },
          { label: 'Cap', stroke: CAP_COLOR, width: 2, dash: [8, 4], points: { show: false } },
        ],
        axes: [{}, { label: 'Credentials', size: 60 }],
        legend: { live: false },
      },
      chartData(usage),
      element,
    );
    const resize = new ResizeObserver(() => {
      plot.setSize({ width: Math.max(280, element.clientWidth), height: 240 });
    });
    resize.observe(element);
    return () => {
      resize.disconnect();
      plot.destroy();
    };
  }, [usage]);

  return (
    <figure className="usage-chart">
      <div ref={box} className="usage-chart-canvas" role="img" aria-label="Usage chart" />
      <figcaption className="muted">
        Credentials in use per UTC day (highest and lowest reported by the day's checks) against the
        cap of {usage.credentials.toLocaleString()}, {usage.from} to {usage.to}.
      </figcaption>
      <details>
        <summary>The numbers</summary>
        <Table
          label="Daily usage"
          compact
          rows={usage.days}
          rowKey={(d) => d.day}
          columns={[
            { header: 'Day', cell: (d) => d.day, primary: true },
            { header: 'Checks', align: 'num', cell: (d) => d.checks },
            { header: 'Lowest', align: 'num', cell: (d) => d.usageMin },
            { header: 'Highest', align: 'num', cell: (d) => d.usageMax },
            { header: 'Last', align: 'num', cell: (d) => d.usageLast },
          ]}
        />
      </details>
    </figure>
  );
}
