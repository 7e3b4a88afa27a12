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

/** Renders milliseconds back in the largest unit that divides them (days at most: 28d, not 4w). */
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

export const PERCENT_PATTERN = '^[0-9]+(\\.[0-9]+)?%$';
const PERCENT_RE = new RegExp(PERCENT_PATTERN);
export const PERCENT_HELP = 'a percentage with a % sign, e.g. 99.5%';

/** `99.5%` -> 0.995. Range checks (objectives strictly inside 0..100%) are semantic, not syntax. */
export function parsePercent(text: string): Parsed {
  const s = text.trim();
  if (!PERCENT_RE.test(s)) return { ok: false, message: `invalid percentage "${text}": write ${PERCENT_HELP}` };
  return { ok: true, value: Number(s.slice(0, -1)) / 100 };
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

export function formatBytes(bytes: number): string {
  for (const unit of ['TiB', 'GiB', 'MiB', 'KiB']) {
    const scale = BYTE_UNITS[unit];
    if (bytes >= scale) return `${+(bytes / scale).toPrecision(6)}${unit}`;
  }
  return `${bytes}B`;
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
