// The concurrency contract in the gate: goroutines (Go), requests in flight, event-loop delay p99
// and utilization, active handles (Node), each read from the service's /metrics on every scrape of
// the measured phase; the PEAK is judged against the contract's warn (WARN) and critical (FAIL).
// A declared signal the service does not export is SKIPPED, naming the series looked for and the
// `metrics:` role that maps it: never PASS.
//
// Also here: the contract sections the gate does not judge at all, listed as SKIPPED rows with
// the reason, so that a reader of the gate's table or JSON never takes silence for a pass.
//
// For a Go service with `concurrency.pprof`, the first scrape in which goroutines or in-flight
// reaches a level is a crossing (pprofCrossings): pprof.ts fetches a goroutine dump and a heap
// profile then, and attachEvidence names the files on the signal's row.
//
// Pure: the contract and the observed peaks in, verdicts out (service-watch.ts does the reading).
import type { Role } from '../contract/metric-names.ts';
import { GO_RUNTIME_ROLES, HTTP_ROLES, NODE_RUNTIME_ROLES } from '../contract/metric-names.ts';
import type { Contract } from '../contract/schema.ts';
import { formatValue } from './format.ts';
import type { Evidence, ObjectiveVerdict, Unit } from './types.ts';

export type ConcurrencySignal = 'goroutines' | 'inFlight' | 'eventLoopDelay' | 'eventLoopUtilization' | 'handles';

interface SignalSpec {
  signal: ConcurrencySignal;
  /** The `metrics:` role the series is read from. */
  role: Role;
  defaultName: string;
  /** The unit the contract's thresholds are in (ms for the delay, a 0..1 ratio, a count). */
  unit: Unit;
  /** Series value -> the thresholds' unit (seconds -> ms for the delay). */
  scale: number;
  /** How several series of the name combine: counts add up, a percentile or a ratio does not. */
  combine: 'sum' | 'max';
  /**
   * The value describes the time since the previous scrape (prom-client resets its event-loop
   * histogram on each collect; the SDK's utilization spans the interval): the scrape that opens
   * the measured phase describes the warm-up, so it is not counted.
   */
  interval: boolean;
  /** In words, for the reason. */
  what: string;
  runtime: 'go' | 'node' | 'any';
}

export const CONCURRENCY_SIGNALS: readonly SignalSpec[] = [
  { signal: 'goroutines', role: 'goroutines', defaultName: GO_RUNTIME_ROLES.goroutines.name, unit: 'count', scale: 1, combine: 'sum', interval: false, what: 'goroutines', runtime: 'go' },
  { signal: 'inFlight', role: 'inFlight', defaultName: HTTP_ROLES.inFlight.name, unit: 'count', scale: 1, combine: 'sum', interval: false, what: 'requests in flight', runtime: 'any' },
  { signal: 'eventLoopDelay', role: 'eventLoopDelay', defaultName: NODE_RUNTIME_ROLES.eventLoopDelay.name, unit: 'ms', scale: 1000, combine: 'max', interval: true, what: 'event-loop delay p99', runtime: 'node' },
  { signal: 'eventLoopUtilization', role: 'eventLoopUtilization', defaultName: NODE_RUNTIME_ROLES.eventLoopUtilization.name, unit: 'ratio', scale: 1, combine: 'max', interval: true, what: 'event-loop utilization', runtime: 'node' },
  { signal: 'handles', role: 'handles', defaultName: NODE_RUNTIME_ROLES.handles.name, unit: 'count', scale: 1, combine: 'sum', interval: false, what: 'active handles', runtime: 'node' },
];

/** A declared signal and the series it is read from (the contract's `metrics:` override, else the default name). */
export interface ConcurrencyRead {
  signal: ConcurrencySignal;
  role: Role;
  series: string;
  scale: number;
  combine: 'sum' | 'max';
  interval: boolean;
}

/** The signals the contract declares thresholds for, with the series each is read from. */
export function concurrencyReads(contract: Contract): ConcurrencyRead[] {
  const c = contract.objectives.concurrency;
  if (!c) return [];
  const overrides = (contract.metrics ?? {}) as Partial<Record<Role, string>>;
  return CONCURRENCY_SIGNALS.filter((s) => c[s.signal] !== undefined).map((s) => ({
    signal: s.signal,
    role: s.role,
    series: overrides[s.role] ?? s.defaultName,
    scale: s.scale,
    combine: s.combine,
    interval: s.interval,
  }));
}

/** What the scrapes of the measured phase showed for one declared signal. */
export interface ConcurrencyPeak {
  signal: ConcurrencySignal;
  series: string;
  /** Scrapes of the measured phase that carried the series (0: the service does not export it). */
  scrapes: number;
  /** Successful scrapes of the measured phase that counted for this signal. */
  judgedScrapes: number;
  /** The highest value, in the thresholds' unit (ms, ratio, count); undefined when never seen. */
  peak?: number;
  /** When: the trial the scrape belongs to (1-based), of how many, and ms since the phase opened. */
  trial?: number;
  trials?: number;
  offsetMs?: number;
}

/** One scrape's value of a signal, in the thresholds' unit (series combined); undefined when the scrape lacked it. */
export function scrapeValue(read: Pick<ConcurrencyRead, 'combine' | 'scale'>, values: readonly number[] | undefined): number | undefined {
  if (values === undefined || values.length === 0) return undefined;
  const raw = read.combine === 'sum' ? values.reduce((a, b) => a + b, 0) : Math.max(...values);
  return raw * read.scale;
}

/** The signals whose crossing makes the gate fetch pprof from a Go service (`concurrency.pprof`). */
export const PPROF_SIGNALS: readonly ConcurrencySignal[] = ['goroutines', 'inFlight'];

/** A level a signal reached in one scrape. */
export interface Crossing {
  signal: ConcurrencySignal;
  level: 'warn' | 'critical';
  value: number;
}

/**
 * The pprof signals at or over a level in this scrape, at the highest level each reached (a scrape
 * that jumps past both is one critical crossing). Empty unless the contract is a Go service's with
 * `concurrency.pprof`. The capture (pprof.ts) keeps the first of each (signal, level).
 */
export function pprofCrossings(contract: Contract, valuesOf: (series: string) => number[] | undefined): Crossing[] {
  const c = contract.objectives.concurrency;
  if (!c || c.pprof === undefined || contract.service.runtime !== 'go') return [];
  const out: Crossing[] = [];
  for (const read of concurrencyReads(contract)) {
    if (!PPROF_SIGNALS.includes(read.signal)) continue;
    const th = c[read.signal]!;
    const v = scrapeValue(read, valuesOf(read.series));
    if (v === undefined || !Number.isFinite(v)) continue;
    if (v >= th.critical) out.push({ signal: read.signal, level: 'critical', value: v });
    else if (v >= th.warn) out.push({ signal: read.signal, level: 'warn', value: v });
  }
  return out;
}

/** What one capture fetched for a crossing (pprof.ts makes these; attachEvidence puts them on the rows). */
export type Capture = {
  signal: ConcurrencySignal;
  evidence: Evidence[];
};

/**
 * Puts each capture's files on its signal's verdict row (the verdict itself does not change), and
 * drops the `pprof` row when something was captured: the signal rows say what and where.
 */
export function attachEvidence(verdicts: ObjectiveVerdict[], captures: readonly Capture[]): void {
  if (captures.length === 0) return;
  for (const cap of captures) {
    const v = verdicts.find((x) => x.contract === 'concurrency' && x.name === cap.signal);
    if (v) (v.evidence ??= []).push(...cap.evidence);
  }
  const i = verdicts.findIndex((x) => x.contract === 'concurrency' && x.name === 'pprof');
  if (i >= 0 && captures.some((cap) => verdicts.some((x) => x.contract === 'concurrency' && x.name === cap.signal))) verdicts.splice(i, 1);
}

/** Folds one scrape into the running peaks (the watch calls it per scrape; pure, for tests). */
export function observeScrape(
  peaks: Map<ConcurrencySignal, ConcurrencyPeak>,
  reads: readonly ConcurrencyRead[],
  scrape: { opening: boolean; trial: number; trials?: number; offsetMs: number },
  valuesOf: (series: string) => number[] | undefined,
): void {
  for (const r of reads) {
    let p = peaks.get(r.signal);
    if (!p) peaks.set(r.signal, (p = { signal: r.signal, series: r.series, scrapes: 0, judgedScrapes: 0 }));
    if (r.interval && scrape.opening) continue;
    p.judgedScrapes++;
    const v = scrapeValue(r, valuesOf(r.series));
    if (v === undefined) continue;
    p.scrapes++;
    if (!Number.isFinite(v)) continue;
    if (p.peak === undefined || v > p.peak) {
      p.peak = v;
      p.trial = scrape.trial;
      p.trials = scrape.trials;
      p.offsetMs = scrape.offsetMs;
    }
  }
}

function when(p: ConcurrencyPeak): string {
  if (p.trial === undefined) return '';
  const of = p.trials !== undefined ? ` of ${p.trials}` : '';
  const at = p.offsetMs !== undefined ? `, ${+(p.offsetMs / 1000).toFixed(1)} s into the measured phase` : '';
  return ` in trial ${p.trial}${of}${at}`;
}

/**
 * One verdict per declared concurrency signal. `peaks` undefined: the service's metrics could not
 * be read at all (`unavailable` says why); every declared signal is then SKIPPED.
 */
export function concurrencyVerdicts(contract: Contract, peaks: readonly ConcurrencyPeak[] | undefined, unavailable?: string): ObjectiveVerdict[] {
  const c = contract.objectives.concurrency;
  if (!c) return [];
  const reads = concurrencyReads(contract);
  const out: ObjectiveVerdict[] = [];
  for (const read of reads) {
    const spec = CONCURRENCY_SIGNALS.find((s) => s.signal === read.signal)!;
    const th = c[read.signal]!;
    const show = (v: number) => formatValue(v, spec.unit);
    const thresholds = `warn ${show(th.warn)}, critical ${show(th.critical)}`;
    const base = {
      contract: 'concurrency', name: read.signal, objective: th.critical, unit: spec.unit, direction: 'lower-is-better' as const,
      thresholds: { warn: th.warn, critical: th.critical }, series: read.series,
    };
    const p = peaks?.find((x) => x.signal === read.signal);
    if (!p || p.judgedScrapes === 0) {
      const why = peaks === undefined ? (unavailable ?? 'the service\'s metrics could not be read') : 'no scrape of the measured phase counted for it (an interval signal needs a scrape after the one that opens the phase)';
      out.push({ ...base, verdict: 'skipped', measured: NaN, margin: NaN, service: NaN, reason: `${spec.what} (${read.series}) not judged: ${why} (${thresholds})` });
      continue;
    }
    if (p.peak === undefined) {
      const mapped = read.series !== spec.defaultName ? ` (mapped by metrics.${read.role})` : '';
      const runtime = spec.runtime === 'go' ? 'client_golang\'s Go collector exports it'
        : spec.runtime === 'node' ? (read.role === 'eventLoopUtilization' ? 'sloctl/sdk\'s instrument() exports it' : 'prom-client\'s collectDefaultMetrics() exports it')
          : 'sloctl/sdk\'s instrument() exports it; promhttp.InstrumentHandlerInFlight is the Go way';
      out.push({
        ...base, verdict: 'skipped', measured: NaN, margin: NaN, service: NaN,
        reason: `the service does not export ${read.series}${mapped}: none of the ${p.judgedScrapes} scrapes of the measured phase had it, so ${spec.what} (${thresholds}) could not be judged; ${runtime}, or map the service's own series with \`metrics: { ${read.role}: <name> }\``,
      });
      continue;
    }
    const v = p.peak;
    const margin = th.critical - v;
    const at = when(p);
    const from = `${read.series}, ${p.scrapes} scrape${p.scrapes === 1 ? '' : 's'}`;
    const peakAt = p.trial !== undefined ? { peakAt: { trial: p.trial, ...(p.trials !== undefined ? { trials: p.trials } : {}), offsetMs: p.offsetMs ?? NaN } } : {};
    const row = { ...base, ...peakAt, measured: v, margin, service: v };
    if (v >= th.critical) out.push({ ...row, verdict: 'fail', reason: `${spec.what} peaked at ${show(v)}${at}, at or over critical ${show(th.critical)} (warn ${show(th.warn)}; ${from})` });
    else if (v >= th.warn) out.push({ ...row, verdict: 'warn', reason: `${spec.what} peaked at ${show(v)}${at}, at or over warn ${show(th.warn)} (critical ${show(th.critical)}; ${from})` });
    else out.push({ ...row, verdict: 'pass', reason: `${spec.what} peaked at ${show(v)}${at}, under warn ${show(th.warn)} (critical ${show(th.critical)}; ${from})` });
  }
  if (c.pprof !== undefined) {
    out.push({
      contract: 'concurrency', name: 'pprof', verdict: 'skipped', measured: NaN, objective: NaN, unit: 'count', direction: 'lower-is-better', margin: NaN,
      reason: pprofReason(contract, c.pprof, out, peaks === undefined),
    });
  }
  return out;
}

/**
 * Why the `pprof` row captured nothing (when something was captured, attachEvidence drops the row
 * and the signal rows name the files).
 */
function pprofReason(contract: Contract, pprof: string, rows: readonly ObjectiveVerdict[], unread: boolean): string {
  const runtime = contract.service.runtime;
  if (runtime !== 'go') {
    return `concurrency.pprof (${pprof}) applies to Go services (net/http/pprof), and service.runtime is ${runtime}: nothing is fetched from a ${runtime} service; set service.runtime: go if this is a Go service, else remove pprof`;
  }
  const declared = rows.filter((r) => r.name !== undefined && PPROF_SIGNALS.includes(r.name as ConcurrencySignal));
  if (declared.length === 0) return `concurrency.pprof (${pprof}) is fetched when goroutines or inFlight crosses warn or critical, and neither is declared: nothing to capture`;
  if (unread) return `concurrency.pprof (${pprof}): the service's metrics could not be read, so no crossing could be seen: nothing was captured`;
  const crossed = declared.filter((r) => r.verdict === 'warn' || r.verdict === 'fail');
  if (crossed.length === 0) return `no ${declared.map((r) => r.name).join(' or ')} threshold was crossed in the measured phase: nothing was fetched from ${pprof}`;
  return `${crossed.map((r) => r.name).join(' and ')} crossed a threshold, but no capture ran (the gate fetches ${pprof} only from a service it measures live)`;
}

/**
 * The contract sections the gate does not judge at all, one SKIPPED row each with the command that
 * does judge them, so the table and the JSON never leave a declared contract out.
 */
export function unjudgedSections(contract: Contract): ObjectiveVerdict[] {
  const o = contract.objectives;
  const row = (contractName: string, name: string, reason: string): ObjectiveVerdict => ({
    contract: contractName, name, verdict: 'skipped', measured: NaN, objective: NaN, unit: 'count', direction: 'lower-is-better', margin: NaN, reason,
  });
  const out: ObjectiveVerdict[] = [];
  if (o.dependencies) out.push(row('dependencies', 'dependencies', 'timeouts, breakers and fallbacks of the declared dependencies: judged by sloctl accept / drill, not by the gate'));
  if (o.resilience) out.push(row('resilience', 'resilience', `${o.resilience.drills.length} drill${o.resilience.drills.length === 1 ? '' : 's'} (${o.resilience.drills.map((d) => d.name).join(', ')}): judged by sloctl accept / drill, not by the gate`));
  if (o.drift) out.push(row('drift', 'drift', `the drift responder (${o.drift.action} on ${o.drift.signals.map((s) => s.signal).join(', ')}): judged by sloctl accept / drill, not by the gate`));
  if (o.observability) out.push(row('observability', 'observability', `series cardinality (at most ${o.observability.maxSeries}) under hostile requests and HELP text: judged by sloctl accept, not by the gate`));
  return out;
}
