// sloctl/sdk: instrument a Node service for its contract.
//
//   import { instrument } from 'sloctl/sdk';
//   const sdk = instrument('slo.yaml');                 // or { contract, registry, defaultMetrics, health }
//   sdk.dependency('payments').breaker(breaker);        // opossum, or .check(async () => boolean)
//   app.register(sloctl, { sdk });                      // sloctl/sdk/fastify; express, koa, hono, http alike
//
// See src/sdk/README.md for the metrics, labels, classification and health rules.
export { instrument, Sdk, WEIGHTED_REQUESTS, type InstrumentOptions, type HealthOptions, type EndpointResponse } from './instrument.ts';
export { ContractError, type ContractSource } from './contract-source.ts';
export { DependencyHandle, type BreakerLike, type DependencyCheck, type CheckOptions } from './dependency.ts';
export { Classifier, errorChain, NONE, UNCLASSIFIED, ABORTED, SHED, SHED_WEIGHT, ShedError, SHED_ERROR, type Classification } from '../contract/classify.ts';
export {
  AdmissionController, AdmissionState, admitOnNode, answerRejection, rejectionBody, rejectionHeaders, SHED_HEADER, limitSettings, LIMIT_METRICS, OUTSIDE_CONTRACT_WEIGHT, OUTSIDE_CONTRACT_ROUTE,
  type Admission, type Ticket, type Rejection, type Priority, type LimitSettings,
} from './protect/admission.ts';
export { Gradient2, GRADIENT2_DEFAULTS, type Gradient2Options } from './protect/gradient2.ts';
export { bucketsFor, chooseBuckets, latencyThresholds, DEFAULT_BUCKETS_MS } from './core/buckets.ts';
export {
  composeHealth, healthHttpStatus, DEFAULT_WEIGHTS,
  type HealthReport, type HealthStatus, type HealthPolicy, type HealthInputs, type DependencyState, type CheckStatus,
} from './core/health.ts';
export { RecentWindow, type RecentTotals } from './core/recent.ts';
export { METHODS, STATUS_CLASSES } from './core/labels.ts';
export { templateMatcher } from './core/match.ts';
export { UNMATCHED, OVERFLOW, DEFAULT_SLI_CLASS, DEFAULT_HEALTH_JUDGE, type HealthJudge, type RouteSlot } from './route-table.ts';
export { HEAP_LIMIT_METRIC } from './runtime.ts';
export { contractDigest, type ConfigCheck, type ConfigCheckResult, type ConfigCheckOptions, type ConfigCheckReport, type ContractIdentity, type ConfigSection } from './config-readiness.ts';
export type { Contract, Dependency, Route, ErrorClass } from '../contract/schema.ts';
export {
  SaturationMonitor, SATURATION_METRICS, SATURATION_SIGNALS, EvidenceStore, decide as decideSaturation,
  type SaturationOptions, type SaturationStats, type SaturationState, type SaturationLevel, type SaturationSignal, type EvidenceFile,
} from './saturation/index.ts';
export { Drainer, DEFAULT_ANNOUNCE_MS, DEFAULT_DRAIN_TIMEOUT_MS, IDLE_CLOSE_MS, type ServeOptions, type DrainResult, type DrainLogLine } from './protect/drain.ts';
export { DriftResponder, DRIFT_METRICS, type DriftOptions, type DriftLogLine, type DriftAction } from './drift/responder.ts';
export { evaluateDrift, initialDriftState, RELAX_FACTOR, type DriftState, type DriftEvent, type DriftSignalSpec } from './drift/decide.ts';
export { DrillEndpoint, FaultRunner, DrillClient, DrillClientError, DrillTokenError, isLoopbackAddress, FAULT_NAMES, type DrillOptions, type DrillClientOptions, type FaultName, type FaultState, type FaultList, type FaultParams } from './drill/index.ts';
