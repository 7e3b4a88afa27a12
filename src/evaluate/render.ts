// The status report as a terminal table, Markdown, or JSON; `--explain` appends the arithmetic.
import { formatMillis } from '../contract/units.ts';
import type { HealthRow } from '../engine/health.ts';
import { aboveHighestBound, burn, formatBound, lowestBucketBound, percentileSide, duration, num, pct, successPct, type PercentileStatus, type PrometheusAlert, type SloStatus, type StatusReport } from './report.ts';

export type StatusFormat = 'table' | 'json' | 'markdown';

function iso(t: number): string {
  return new Date(t).toISOString().replace('.000Z', 'Z');
}

/** The line above the table: what was read, from where, over what span. */
export function headline(r: StatusReport): string {
  const n = r.slos.length;
  if (r.source.kind === 'scrape') {
    const s = r.source;
    const span = s.firstAt !== undefined && s.lastAt !== undefined ? ` over ${duration(s.lastAt - s.firstAt)} (${iso(s.firstAt)} to ${iso(s.lastAt)})` : '';
    const failed = s.failures > 0 ? `, ${s.failures} failed` : '';
    const restarts = s.restarts > 0 ? `, ${s.restarts} restart(s) seen` : '';
    return `${r.service}: ${n} SLO${n === 1 ? '' : 's'} from ${s.scrapes} scrapes of ${s.url}${span}${failed}${restarts}`;
  }
  const sel = r.source.selector !== undefined ? ` with ${r.source.selector}` : '';
  const rules = r.source.recordingRules ? 'recording rules'
    : r.source.rulesLoaded ? `raw series${sel}; the loaded recording rules are not confirmed to read it, see the note`
    : `raw series${sel} (no recording rules loaded)`;
  return `${r.service}: ${n} SLO${n === 1 ? '' : 's'} read from ${r.source.url} (${rules}) at ${iso(r.at)}`;
}

interface Row {
  priority: string;
  name: string;
  current: string;
  window: string;
  objective: string;
  achieved: string;
  budget: string;
  burn: string;
  alert: string;
  events: string;
  state: string;
}

const HEAD: Row = { priority: '#', name: 'SLO', current: 'SLI', window: 'WINDOW', objective: 'OBJECTIVE', achieved: 'ACHIEVED', budget: 'BUDGET LEFT', burn: 'BURN', alert: 'ALERT', events: 'BAD / TOTAL', state: 'STATE' };
const KEYS = Object.keys(HEAD) as Array<keyof Row>;

/** The span a value covers (WINDOW column): what sloctl watched when scraping, the range queried through PromQL. */
function windowText(ms: number | undefined): string {
  return ms === undefined || Number.isNaN(ms) ? '-' : duration(ms);
}

/**
 * The ALERT column. Read from Prometheus: its own alerts, the most severe firing one, else the most
 * severe pending one ("ticket pending": the condition holds, the rule's `for` has not passed).
 * Computed by sloctl (scraping, or rules not read): a tier above both thresholds only "would fire".
 */
export function alertText(s: SloStatus): string {
  const computed = s.alerts?.status;
  const wouldFire = computed === 'page' || computed === 'ticket';
  if (s.prometheusAlerts !== undefined) {
    const rank = (a: PrometheusAlert) => (a.state === 'firing' ? 0 : 2) + (a.severity === 'page' ? 0 : 1);
    const top = [...s.prometheusAlerts].sort((a, b) => rank(a) - rank(b))[0];
    if (top !== undefined) {
      const kind = /(SLIMissing|SLIUnmeasurable)$/.exec(top.alertname)?.[1];
      return `${top.severity ?? top.alertname} ${top.state}${kind ? ` (${kind})` : ''}`;
    }
    return wouldFire ? `none (${computed} would fire)` : (computed ?? '-');
  }
  return wouldFire ? `${computed} would fire` : (computed ?? '-');
}

function stateText(s: SloStatus): string {
  if (s.state === 'skipped') return `SKIPPED: ${s.reason}`;
  if (s.state === 'unknown') return `UNKNOWN: ${s.reason}`;
  return s.state === 'ok' ? 'OK' : 'FAILING';
}

/**
 * A percentile row's value against its ceiling: "p95 254 ms > 200 ms", "p95 12.4 ms ≤ 200 ms".
 * (Its achievement rate, ceiling / value, reads as "achieved 1997%" for a fast route: no one acts on that.)
 */
export function percentileAgainstCeiling(label: string, currentMs: number, ceilingMs: number): string {
  if (!Number.isFinite(currentMs)) return `${label} n/a (ceiling ${formatMillis(ceilingMs)})`;
  return `${label} ${formatMillis(currentMs)} ${currentMs <= ceilingMs ? '≤' : '>'} ${formatMillis(ceilingMs)}`;
}

function rows(r: StatusReport): Row[] {
  const byName = new Map(r.slos.map((s) => [s.name, s]));
  const percentileLabel = new Map<string, string>(r.slos.flatMap((s) => s.percentiles.map((p): [string, string] => [`${s.name} ${p.label}`, p.label])));
  const percentileOf = new Map<string, PercentileStatus>(r.slos.flatMap((s) => s.percentiles.map((p): [string, PercentileStatus] => [`${s.name} ${p.label}`, p])));
  const out: Row[] = [];
  const health = new Map<string, HealthRow>(r.health.map((h) => [h.name, h]));
  // Ranked by the health table (most urgent first); skipped SLOs last.
  for (const h of r.health) {
    const s = byName.get(h.name);
    if (s) {
      out.push({
        priority: String(h.priority),
        name: s.name,
        // A weighted success below 0 (errors weighing over 1 outnumber the requests) reads 0% and
        // why, and its achievement 0% beside it; JSON and the explanation keep the numbers.
        current: s.kind === 'errors' ? successPct(s.current) : pct(s.current),
        window: windowText(s.sliWindowMs),
        objective: pct(s.objective),
        achieved: s.kind === 'errors' && s.current < 0 ? pct(0, 2) : pct(h.achievement, 2),
        budget: s.budget ? pct(s.budget.remainingRatio, 2) : 'n/a',
        burn: burn(s.burnRate),
        alert: alertText(s),
        // Scraped availability counts composite samples, not requests: said in the cell, since the
        // rows beside it count requests ("0.5 / 3" next to "0 / 22" read as a contradiction).
        events: s.counts.total === 0 ? '-' : `${num(s.counts.bad)} / ${num(s.counts.total)}${s.kind === 'availability' && r.source.kind === 'scrape' ? ' samples' : ''}`,
        state: stateText(s),
      });
    } else {
      // A percentile row (`api-latency p95`): a value in ms against its ceiling, lower is better.
      const label = percentileLabel.get(h.name) ?? h.name.slice(h.name.lastIndexOf(' ') + 1);
      const p = percentileOf.get(h.name);
      const i = p?.interpolated;
      const bounds = i ? `le=${i.below} and le=${i.above === Infinity ? '+Inf' : i.above} (add a bucket at le=${+p!.objectiveSeconds.toPrecision(12)})` : '';
      const between = i ? `interpolated between ${bounds}` : '';
      // Which side of the ceiling by the quantile's bucket (report.ts percentileSide): undecided
      // inside the bucket that holds the ceiling, or at the highest bound from PromQL (the top of
      // that bucket or anywhere in +Inf, which histogram_quantile prints as that bound).
      const undecided = p !== undefined && percentileSide(p) === 'undecided';
      // In the +Inf bucket the quantile is only known to be above the highest bound: "> 250 ms".
      const above = p !== undefined && aboveHighestBound(p) ? p.bucket!.lowerSeconds * 1000 : undefined;
      const current = undecided || above !== undefined ? p!.valueSeconds * 1000 : h.current;
      // In the histogram's lowest bucket the quantile is only known to be at or under its bound
      // (histogram_quantile's number is a line drawn from 0): "≤ 5 ms", as the gate prints it.
      const lowest = p?.bucket !== undefined && !undecided ? lowestBucketBound({ lower: p.bucket.lowerSeconds, upper: p.bucket.upperSeconds }) : undefined;
      let state = h.meetsObjective === undefined ? 'UNKNOWN: no observations' : h.meetsObjective ? 'OK' : 'FAILING';
      if (undecided) state = `UNKNOWN: ${i?.undecided ? between : `at the highest bound le=${+p!.valueSeconds.toPrecision(12)}, which histogram_quantile also prints for a quantile in le=+Inf (add a bucket above le=${+p!.objectiveSeconds.toPrecision(12)})`}`;
      // Decided with the ceiling between two bounds: the note is about the ceiling, not the value
      // (a user read "~5.0 ms … interpolated between le=0.1 and le=0.25" as a value estimated there).
      else if (i) state = `${state}; the ${formatMillis(p!.objectiveSeconds * 1000)} ceiling falls between ${bounds}`;
      out.push({
        priority: String(h.priority),
        name: h.name,
        current: above !== undefined ? `> ${formatMillis(above)}` : lowest !== undefined ? `≤ ${formatBound(lowest * 1000)}` : `${undecided ? '~' : ''}${formatMillis(current)}`,
        window: windowText(p?.overMs),
        objective: `<= ${formatMillis(h.objective)}`,
        // Undecided: which side of the ceiling is unknown.
        achieved: undecided ? `${label} ${above !== undefined ? '> ' : '~'}${formatMillis(above ?? current)} ? ${formatMillis(h.objective)}`
          : above !== undefined ? `${label} > ${formatMillis(above)} (le=+Inf), > ${formatMillis(h.objective)}`
          : lowest !== undefined ? `${label} ≤ ${formatBound(lowest * 1000)} ≤ ${formatMillis(h.objective)}`
          : percentileAgainstCeiling(label, current, h.objective),
        // A quantile in +Inf has no number to measure the room left by ("-Inf%" said nothing).
        budget: Number.isFinite(h.budgetRemainingRatio) ? pct(h.budgetRemainingRatio, 2) : 'n/a',
        burn: '-',
        alert: '-',
        events: '-',
        state,
      });
    }
  }
  for (const s of r.slos) {
    if (health.has(s.name)) continue;
    out.push({ priority: '-', name: s.name, current: 'n/a', window: '-', objective: pct(s.objective), achieved: '-', budget: '-', burn: '-', alert: '-', events: '-', state: stateText(s) });
  }
  return out;
}

/**
 * What the columns mean, under the table: ACHIEVED (SLI ÷ objective) was explained nowhere a user
 * reads, and a scraped availability sample judges the service's own health window, which reaches
 * back before the span the other rows count (a user read "83% availability" beside "errors 0 / 22"
 * as a contradiction). One line, and one more only when availability was read from the gauge.
 */
export function legendLines(r: StatusReport): string[] {
  if (!r.slos.some((s) => s.state !== 'skipped')) return [];
  const span = r.source.kind === 'scrape' ? 'the span sloctl watched' : 'the span read through PromQL';
  const out = [`ACHIEVED = SLI ÷ OBJECTIVE (100% is exactly at it; a percentile row: its value against its ceiling). WINDOW: ${span}.`];
  for (const s of r.slos) {
    if (s.gaugeWindowMs === undefined) continue;
    // The thin-samples rule in one sentence (thin-evidence.ts SampleEvidence): a burst of fast
    // scrapes is not many observations, and a reader of "0 / 1,000 samples UNKNOWN" needs to know why.
    const needed = s.objective < 1 ? ` of the ${Math.ceil(1 / (1 - s.objective) - 1e-9).toLocaleString('en-US')} its objective needs` : '';
    out.push(`${s.name}: one sample per scrape, the service's own composite over its last ${duration(s.gaugeWindowMs)} (health.window), so the first samples also judge requests from before the WINDOW the request rows count; samples under ${duration(s.gaugeWindowMs)} apart judge the same requests and count as one observation${needed}.`);
  }
  return out;
}

export function renderTable(r: StatusReport): string {
  const all = [HEAD, ...rows(r)];
  const width = Object.fromEntries(KEYS.map((k) => [k, Math.max(...all.map((row) => row[k].length))])) as Record<keyof Row, number>;
  const line = (row: Row) => KEYS.map((k, i) => (i === KEYS.length - 1 ? row[k] : row[k].padEnd(width[k]))).join('  ').trimEnd();
  const footer = [...legendLines(r), ...exhaustionLines(r), ...noteLines(r)];
  return [headline(r), '', ...all.map(line), ...(footer.length ? ['', ...footer] : [])].join('\n');
}

function mdCell(s: string): string {
  return s.replace(/\|/g, '\\|');
}

export function renderMarkdown(r: StatusReport): string {
  const out = [`**${mdCell(headline(r))}**`, '', `| ${KEYS.map((k) => HEAD[k]).join(' | ')} |`, `| ${KEYS.map(() => '---').join(' | ')} |`];
  for (const row of rows(r)) out.push(`| ${KEYS.map((k) => mdCell(row[k])).join(' | ')} |`);
  const legend = legendLines(r);
  if (legend.length > 0) out.push('', ...legend);
  const notes = (r.notes ?? []).map((n) => `note: ${n}`);
  if (notes.length > 0) out.push('', ...notes);
  return out.join('\n');
}

/** JSON with unknowns as null (JSON has no NaN) and infinities as strings. */
export function renderJson(r: StatusReport, explain: boolean): string {
  const doc = {
    ...r,
    slos: r.slos.map((s) => (explain ? s : { ...s, explain: undefined })),
  };
  return JSON.stringify(doc, (_k, v: unknown) => {
    if (typeof v === 'number' && !Number.isFinite(v)) return Number.isNaN(v) ? null : v > 0 ? 'Infinity' : '-Infinity';
    return v;
  }, 2);
}

export function renderExplain(r: StatusReport): string {
  const blocks = r.slos.map((s) => s.explain.join('\n'));
  return blocks.join('\n\n');
}

export function renderStatus(r: StatusReport, format: StatusFormat, explain: boolean): string {
  if (format === 'json') return renderJson(r, explain);
  const body = format === 'markdown' ? renderMarkdown(r) : renderTable(r);
  if (!explain) return body;
  const text = renderExplain(r);
  return format === 'markdown' ? `${body}\n\n\`\`\`text\n${text}\n\`\`\`` : `${body}\n\n${text}`;
}

/** The notes of every SLO (classes the label mapping cannot see, estimates, ...), one line each. */
export function noteLines(r: StatusReport): string[] {
  return [...(r.notes ?? []).map((n) => `note: ${n}`), ...r.slos.flatMap((s) => s.notes.map((n) => `${s.name}: note: ${n}`))];
}

/** One line per SLO with a budget: overspent, or how long it lasts at the current burn. */
export function exhaustionLines(r: StatusReport): string[] {
  const out: string[] = [];
  for (const s of r.slos) {
    // An UNKNOWN row (too few events to judge) has a budget in arithmetic only: "error budget
    // overspent" after 3 scrapes is the verdict its state withholds.
    if (!s.budget || Number.isNaN(s.budget.remainingRatio) || s.state === 'unknown') continue;
    if (s.budget.remaining <= 0) {
      out.push(`${s.name}: error budget ${s.budget.remaining < 0 ? 'overspent' : 'exhausted'} (${pct(s.budget.remainingRatio, 2)} left)`);
    } else if (s.currentBurn && !Number.isNaN(s.currentBurn.burnRate)) {
      out.push(`${s.name}: ${pct(s.budget.remainingRatio, 2)} of the error budget left; at the ${duration(s.currentBurn.windowMs)} burn rate of ${burn(s.currentBurn.burnRate)} it lasts ${duration(s.timeToExhaustionMs)}`);
    }
  }
  return out;
}
