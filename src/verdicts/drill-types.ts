// What a drill run hands to the drill judge, and what the judge answers. The runner (src/drill/)
// measures; the judge (src/verdicts/drill.ts) decides, from data only: no clock, no I/O. Every time
// below is ms since the drill timeline's origin, which is the load run's start (LoadResult.startedAt),
// so client slices, scrapes, health probes and phase marks line up on one axis.
import type { Contract, Drill } from '../contract/schema.ts';
import type { LoadSlice } from '../measure/types.ts';
import type { ServiceRoutes } from './service-routes.ts';
import type { ServiceEvidenceFile } from './types.ts';
import type { SaturationSignal } from './drill-saturation.ts';

export type DrillOutcome = 'pass' | 'fail' | 'inconclusive';

/** Health as the runner's prober saw it; `failing` names the checks the body reported failing, with reasons. */
export interface HealthSample {
  atMs: number;
  state: 'up' | 'degraded' | 'down' | 'unreachable';
  failing: string[];
  /** The longest span of recent requests a failing check judged (the SDK's health window), when the body says. */
  windowMs?: number;
}

/** A declared dependency's state as the service exports it (`sloctl_dependency_up`, or a breaker gauge). */
export interface DependencySample {
  atMs: number;
  dependency: string;
  up: boolean;
}

/** A saturation signal as the service exports it, in the contract's units (ms, ratio 0..1, bytes, count). */
export interface SaturationSample {
  atMs: number;
  signal: SaturationSignal;
  value: number;
}

/** The service's own counters, cumulative since the origin, at one scrape (see ServiceRoutes). */
export interface ServiceSnapshot {
  atMs: number;
  routes: ServiceRoutes;
}

/** Traffic the fault proxy carried to the attacked dependency, cumulative since the origin. */
export interface DependencyTrafficSample {
  atMs: number;
  /** Connections the service opened to the proxy, and HTTP requests it sent through it (when framed). */
  connections: number;
  requests: number;
}

/** What the runner did with the fault: applied (and how), or why it could not. */
export type FaultApplication =
  | { ok: true; how: string }
  | { ok: false; reason: string; fix: string };

export interface DrillEvidence {
  drill: Drill;
  /** Width of the client slices (LoadOptions.sliceMs). */
  sliceMs: number;
  /** Steady state is measured over [steadyFromMs, faultAtMs); the fault lasts [faultAtMs, removedAtMs); recovery is watched until endMs. */
  steadyFromMs: number;
  faultAtMs: number;
  /** Undefined when the fault was never applied. */
  removedAtMs?: number;
  endMs: number;
  applied: FaultApplication;
  /** Checked after removal: the proxy holds no toxic, the SDK endpoint lists no active fault. */
  removed: { ok: boolean; detail: string };
  /** The load generator's requests, by intended send time. */
  client: LoadSlice[];
  /** Empty when the service exposes no metrics the contract maps. */
  service: ServiceSnapshot[];
  health: HealthSample[];
  dependencies: DependencySample[];
  saturation: SaturationSample[];
  /** Present for proxy faults. */
  traffic?: DependencyTrafficSample[];
  /** The generator's check on itself over the drill's own window of the load (src/verdicts/window-generator.ts): when it fell short, nothing can be judged. */
  generator: { ok: boolean; reasons: string[]; passStands?: boolean };
  /** How often the runner scraped and probed, ms: the resolution of detection times. */
  scrapeIntervalMs: number;
  probeIntervalMs: number;
}

/** One objective judged over one window, from one or both sides of the wire. */
export interface WindowCheck {
  /**
   * "latency 500 ms" (its values: the share of requests within 500 ms), "errors" (the errors
   * objective: its values are the weighted success ratio, 1 - Σ class weight × errors / requests,
   * not a share of errors; the reports call it "weighted success", windowCheckLabel).
   */
  name: string;
  objective: number;
  unit: 'ratio' | 'ms';
  /** NaN when that side could not be measured. */
  client: number;
  service: number;
  met: boolean | undefined;
  /** The routes that missed it, worst first, with their numbers (routes that call the attacked dependency first). */
  routes?: Array<{ route: string; value: number; requests: number; note?: string }>;
}

export interface DrillVerdict {
  name: string;
  fault: Drill['fault'];
  /** "dependency payments" or "service (in-process)". */
  target: string;
  outcome: DrillOutcome;
  /** The fault never ran (not planned, not applied, or the run ended first): nothing else is judged, and `reasons` say why and what to do. */
  notRun?: boolean;
  steady: { met: boolean | undefined; checks: WindowCheck[] };
  /** Judged only when the drill declares `degraded` objectives and its fault ran; `judged: false` says so, and `why`. */
  during: { judged: boolean; checks: WindowCheck[]; why?: string };
  /** ms from the fault's start to the first of the service's own signals that showed it, and which signal. */
  detection: { withinMs: number; ms?: number; signal?: string; resolutionMs: number; met: boolean | undefined };
  /** ms from the fault's removal until the objectives held again (and kept holding), and health UP. */
  recovery: { withinMs: number; ms?: number; met: boolean | undefined };
  removed: { ok: boolean; detail: string };
  /** Sentences a reader acts on: what the service did wrong, or why nothing could be judged (with the fix). */
  reasons: string[];
  /** 0..1: the share of this drill's judged checks (during, detection, recovery, removal) that held. NaN when inconclusive. */
  score: number;
}

export interface DrillReport {
  service: string;
  outcome: DrillOutcome;
  /** 0..100 over the judged drills; NaN when none could be judged. How it is computed: `scoreRule`. */
  resilienceScore: number;
  scoreRule: string;
  drills: DrillVerdict[];
  reasons: string[];
  /** Files the service's saturation monitor wrote during the run (the runner reads them from the drill endpoint; the judge leaves this alone). */
  evidence?: ServiceEvidenceFile[];
}

/** The judge's signature, for the runner. */
export type JudgeDrill = (contract: Contract, evidence: DrillEvidence) => DrillVerdict;

/** What a check's numbers are, as the reports say it: the errors check's are weighted success ratios, the others' name says it ("latency 500 ms"). */
export function windowCheckLabel(c: Pick<WindowCheck, 'name'>): string {
  return c.name === 'errors' ? 'weighted success' : c.name;
}
