// Units as people write them in slo.yaml, parsed strictly.
//
// Every parser returns either a number in a canonical unit (milliseconds, a ratio in 0..1,
// bytes, events per second) or a message that says what is accepted, so a typo like
// `5 minutes` gets an answer instead of a silent default.

export type Parsed = { ok: true; value: number } | { ok: false; message: string };

const DURATION_UNITS: Record<string, number> = {
  ms: 1,
  s: 1000,
  m: 60_000,
  h: 3_600_000,
  d: 86_400_000,
  w: 604_800_000,
};

/** One or more `<number><unit>` parts, largest unit first, like Go and Prometheus: `1h30m`. */
export const DURATION_PATTERN = '^([0-9]+(\\.[0-9]+)?(ms|s|m|h|d|w))+$';
const DURATION_PART = /([0-9]+(?:\.[0-9]+)?)(ms|s|m|h|d|w)/g;
const DURATION_RE = new RegExp(DURATION_PATTERN);
export const DURATION_HELP = 'a number followed by ms, s, m, h, d or w, e.g. 150ms, 30s, 5m, 1h30m, 28d';

export function parseDuration(text: string): Parsed {
  const s = text.trim();
  if (!DURATION_RE.test(s)) {
    return { ok: false, message: `invalid duration "${text}": write ${DURATION_HELP}` };
  }
  let total = 0;
  let lastScale = Infinity;
  for (const m of s.matchAll(DURATION_PART)) {
    const scale = DURATION_UNITS[m[2]];
    if (scale >= lastScale) {
      return { ok: false, message: `invalid duration "${text}": units must go from largest to smallest, each once (e.g. 1h30m)` };
    }
    lastScale = scale;
    total += Number(m[1]) * scale;
  }
  if (total <= 0) return { ok: false, message: `invalid duration "${text}": must be greater than zero` };
  return { ok: true, value: total };
}

/**
 * Renders milliseconds back exactly, in the largest unit that divides them (days at most: 28d, not
 * 4w), compound below that: 1h30m, 8s196ms. Exact and in whole units because it also writes
 * contract values and PromQL ranges and rule names (src/emit/promql.ts), and Prometheus reads
 * neither `8.196s` nor a dot in a name. For a measured time shown to a reader use formatElapsed.
 */
/** A measured span for a message: "4.96 s" → "5 s" above 10 s, "4.9 s" below (not a contract value: see formatDuration). */
export function formatSeconds(ms: number): string {
  return `${+(ms / 1000).toFixed(ms < 10_000 ? 1 : 0)} s`;
}

export function formatDuration(ms: number): string {
  if (ms === 0) return '0s';
  const order: Array<[string, number]> = [['d', 86_400_000], ['h', 3_600_000], ['m', 60_000], ['s', 1000]];
  let rest = ms;
  let out = '';
  for (const [unit, scale] of order) {
    if (rest >= scale && Number.isInteger(rest / scale) && out === '') return `${rest / scale}${unit}`;
    if (rest >= scale) {
      const whole = Math.floor(rest / scale);
      out += `${whole}${unit}`;
      rest -= whole * scale;
    }
  }
  if (rest > 0) out += `${+rest.toFixed(6)}ms`;
  return out;
}

/**
 * A time as a reader wants it, in the syntax parseDuration reads: `250ms`, `8.196s` (milliseconds
 * below a minute), `1m31s` (whole seconds below an hour), `4h12m` (whole minutes below a day),
 * `3d4h` (whole hours beyond). Rounded, so not for contract values or PromQL (formatDuration).
 */
export function formatElapsed(ms: number): string {
  if (!Number.isFinite(ms)) return 'n/a';
  if (ms < 0) return `-${formatElapsed(-ms)}`;
  if (ms === 0) return '0s';
  if (ms < 999.5) return `${+ms.toPrecision(3)}ms`;
  const step = ms < 60_000 ? 1 : ms < 3_600_000 ? 1000 : ms < 86_400_000 ? 60_000 : 3_600_000;
  const rounded = Math.round(ms / step) * step;
  if (rounded < 60_000) return `${+(rounded / 1000).toFixed(3)}s`;
  let rest = rounded;
  let out = '';
  for (const [unit, scale] of [['d', 86_400_000], ['h', 3_600_000], ['m', 60_000], ['s', 1000]] as const) {
    const whole = Math.floor(rest / scale);
    if (whole > 0) out += `${whole}${unit}`;
    rest -= whole * scale;
  }
  return out;
}

/**
 * A latency in milliseconds, as the gate and `status` show latencies: three decimals below 1 ms,
 * one below 100 ms, whole milliseconds above, and a space: 0.2134 -> "0.213 ms", 5.123 -> "5.1 ms",
 * 21.37 -> "21.4 ms", 254.4 -> "254 ms", 1234.5 -> "1,235 ms".
 */
export function formatMillis(ms: number): string {
  if (!Number.isFinite(ms)) return 'n/a';
  const places = (v: number) => (Math.abs(v) < 1 ? 3 : Math.abs(v) < 100 ? 1 : 0);
  // Rounding can carry into the next range (99.96 -> "100.0"): format again at the rounded value.
  const r = +ms.toFixed(places(ms));
  const d = places(r);
  return `${r.toLocaleString('en-US', { minimumFractionDigits: d, maximumFractionDigits: d })} ms`;
}

export const PERCENT_PATTERN = '^[0-9]+(\\.[0-9]+)?%$';
const PERCENT_RE = new RegExp(PERCENT_PATTERN);
export const PERCENT_HELP = 'a percentage with a % sign, e.g. 99.5%';

/** `99.5%` -> 0.995. Range checks (objectives strictly inside 0..100%) are semantic, not syntax. */
export function parsePercent(text: string): Parsed {
  const s = text.trim();
  if (!PERCENT_RE.test(s)) return { ok: false, message: `invalid percentage "${text}": write ${PERCENT_HELP}` };
  // Shifted in the decimal text, not divided: 99.9 / 100 is 0.9990000000000001, which then shows
  // in the health JSON, the generated dashboards and the Go middleware's contract; `99.9e-2`
  // parses to the double nearest 0.999.
  return { ok: true, value: Number(`${s.slice(0, -1)}e-2`) };
}

export function formatPercent(ratio: number): string {
  return `${+(ratio * 100).toPrecision(12)}%`;
}

const BYTE_UNITS: Record<string, number> = {
  B: 1,
  KB: 1e3, MB: 1e6, GB: 1e9, TB: 1e12,
  KiB: 1024, MiB: 1024 ** 2, GiB: 1024 ** 3, TiB: 1024 ** 4,
};
export const BYTES_PATTERN = '^[0-9]+(\\.[0-9]+)?(B|KB|MB|GB|TB|KiB|MiB|GiB|TiB)$';
const BYTES_RE = new RegExp(BYTES_PATTERN);
export const BYTES_HELP = 'a number followed by B, KB, MB, GB, KiB, MiB or GiB, e.g. 512MiB, 1.2GiB';

export function parseBytes(text: string): Parsed {
  const s = text.trim();
  const m = BYTES_RE.exec(s);
  if (!m) return { ok: false, message: `invalid size "${text}": write ${BYTES_HELP}` };
  const unit = m[2];
  return { ok: true, value: Math.round(Number(s.slice(0, -unit.length)) * BYTE_UNITS[unit]) };
}

/**
 * A size as a reader wants it: binary units, three significant digits, a space: 512 B, 1 KiB,
 * 43.4 MiB, 1.2 GiB. Below a KiB whole bytes (a fraction of a byte is not a size). Rounded, so a
 * contract value like 100MB (95.4 MiB) reads approximately.
 */
export function formatBytes(bytes: number): string {
  if (!Number.isFinite(bytes)) return 'n/a';
  if (bytes < 0) return `-${formatBytes(-bytes)}`;
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'] as const;
  const shown = (v: number, i: number) => (i === 0 ? Math.round(v) : +v.toFixed(v < 10 ? 2 : v < 100 ? 1 : 0));
  let v = bytes;
  let i = 0;
  while (i < units.length - 1 && v >= 1024) {
    v /= 1024;
    i++;
  }
  // Rounding can carry: 1023.9 KiB shows as 1 MiB, not 1024 KiB.
  if (shown(v, i) >= 1024 && i < units.length - 1) {
    v /= 1024;
    i++;
  }
  return `${shown(v, i)} ${units[i]}`;
}

const RATE_UNITS: Record<string, number> = { s: 1, m: 1 / 60, h: 1 / 3600 };
export const RATE_PATTERN = '^[0-9]+(\\.[0-9]+)?/(s|m|h)$';
const RATE_RE = new RegExp(RATE_PATTERN);
export const RATE_HELP = 'events per second, minute or hour, e.g. 200/s, 6000/m';

/** `200/s` -> 200 (per second). */
export function parseRate(text: string): Parsed {
  const s = text.trim();
  if (!RATE_RE.test(s)) return { ok: false, message: `invalid rate "${text}": write ${RATE_HELP}` };
  const [n, unit] = s.split('/');
  const value = Number(n) * RATE_UNITS[unit];
  if (value <= 0) return { ok: false, message: `invalid rate "${text}": must be greater than zero` };
  return { ok: true, value };
}

export function formatRate(perSecond: number): string {
  return `${+perSecond.toPrecision(12)}/s`;
}
