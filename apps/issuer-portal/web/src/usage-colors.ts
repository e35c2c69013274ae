// The usage chart's line colours, in one place: the chart draws with them and the browser test
// looks for their pixels on the canvas.
export const USAGE_COLOR = '#2563eb';
export const CAP_COLOR = '#dc2626';
