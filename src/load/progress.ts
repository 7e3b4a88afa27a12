// Progress of a load run for the person watching it. On a terminal: one status line redrawn in
// place (a bar, elapsed of total, rate achieved against asked, p95 so far, errors, in flight). In
// CI, where carriage returns turn into a wall of lines: one plain line every few seconds.
//
// The render functions are pure (a LoadProgress in, a string out); ProgressWriter only decides
// when to write and how to overwrite, so both are tested without a terminal.
import type { LoadProgress } from './types.ts';

/** "12.3s", "2m05s". */
export function clock(ms: number): string {
  const s = Math.max(ms, 0) / 1000;
  if (s < 60) return `${s.toFixed(1)}s`;
  const m = Math.floor(s / 60);
  return `${m}m${String(Math.floor(s - m * 60)).padStart(2, '0')}s`;
}

/** 1234.5 -> "1,235"; 12.34 -> "12.3". */
function count(n: number): string {
  if (!Number.isFinite(n)) return '0';
  return n >= 100 ? Math.round(n).toLocaleString('en-US') : String(+n.toFixed(1));
}

/** A latency in ms with 3 significant digits: "0.412ms", "12.3ms", "1,204ms". */
export function ms(v: number): string {
  if (!Number.isFinite(v)) return 'n/a';
  if (v >= 1000) return `${Math.round(v).toLocaleString('en-US')}ms`;
  return `${+v.toPrecision(3)}ms`;
}

function rateText(p: LoadProgress): string {
  return p.requestedRate === null ? `${count(p.rate)}/s (max)` : `${count(p.rate)}/s of ${count(p.requestedRate)}/s`;
}

function fraction(p: LoadProgress): number {
  return p.totalMs > 0 ? Math.min(Math.max(p.elapsedMs / p.totalMs, 0), 1) : 0;
}

/** The fields after the bar, most important first, so a narrow terminal drops from the end. */
function fields(p: LoadProgress): string[] {
  return [`${clock(p.elapsedMs)}/${clock(p.totalMs)}`, rateText(p), `p95 ${ms(p.p95)}`, `errors ${count(p.errors)}`, `in flight ${count(p.inFlight)}`];
}

/**
 * The terminal status line, at most `columns - 1` characters (the last column would wrap on some
 * terminals): `[#####-----]  42%  12.6s/30.0s  998/s of 1,000/s  p95 3.21ms  errors 0  in flight 12`.
 */
export function renderStatusLine(p: LoadProgress, columns = 80): string {
  const width = Math.max(columns - 1, 10);
  const pct = `${String(Math.floor(fraction(p) * 100)).padStart(3)}%`;
  const parts = fields(p);
  // Drop trailing fields until the text leaves room for a bar of at least 10 cells.
  let text = parts.join('  ');
  while (parts.length > 1 && text.length + pct.length + 5 + 10 > width) {
    parts.pop();
    text = parts.join('  ');
  }
  const barWidth = Math.min(30, width - text.length - pct.length - 5);
  if (barWidth < 10) return `${pct}  ${text}`.slice(0, width);
  const filled = Math.round(fraction(p) * barWidth);
  return `[${'#'.repeat(filled)}${'-'.repeat(barWidth - filled)}] ${pct}  ${text}`.slice(0, width);
}

/** The CI line: `load 10.0s/30.0s: sent 10,000, 1,000/s of 1,000/s, p95 3.21ms, errors 0, in flight 12`. */
export function renderProgressLine(p: LoadProgress): string {
  return `load ${clock(p.elapsedMs)}/${clock(p.totalMs)}: sent ${count(p.sent)}, ${rateText(p)}, p95 ${ms(p.p95)}, errors ${count(p.errors)}, in flight ${count(p.inFlight)}`;
}

export interface ProgressWriterOptions {
  /** Where the display goes (stderr, so stdout stays the result). */
  write: (text: string) => void;
  /** A terminal: redraw one line. Otherwise write a line every `everyMs`. */
  isTTY: boolean;
  /** Terminal width; read at each redraw so a resized window is followed. Default: process.stderr.columns, else 80. */
  columns?: () => number | undefined;
  /** Without a terminal, the run time between two lines. Default 5 s. */
  everyMs?: number;
}

/** Turns a run's progress callbacks into writes: one line redrawn on a TTY, throttled lines otherwise. */
export class ProgressWriter {
  private lastLineAt = 0;
  private lastPhase: string | undefined;
  private drawn = false;
  private readonly everyMs: number;

  constructor(private readonly options: ProgressWriterOptions) {
    this.everyMs = options.everyMs ?? 5000;
  }

  /** Shows `p`; `phase` ("warm-up", "trial 2/5") prefixes the line when given. */
  update(p: LoadProgress, phase?: string): void {
    const prefix = phase ? `${phase}: ` : '';
    if (this.options.isTTY) {
      const columns = this.options.columns?.() ?? process.stderr.columns ?? 80;
      // \r back to column 0, the line, then erase whatever a longer previous line left.
      this.options.write(`\r${prefix}${renderStatusLine(p, columns - prefix.length)}\x1b[K`);
      this.drawn = true;
      return;
    }
    // Throttled on the run's own clock, so the cadence does not depend on callback timing; a
    // new phase restarts the count (its clock starts again at 0).
    if (phase !== this.lastPhase) {
      this.lastPhase = phase;
      this.lastLineAt = 0;
    }
    if (p.elapsedMs - this.lastLineAt >= this.everyMs) {
      this.lastLineAt = p.elapsedMs;
      this.options.write(`${prefix}${renderProgressLine(p)}\n`);
    }
  }

  /** Clears the status line so what follows starts on a clean line; writes nothing without a TTY. */
  clear(): void {
    if (this.options.isTTY && this.drawn) this.options.write('\r\x1b[K');
    this.drawn = false;
  }
}
