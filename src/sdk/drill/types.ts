// The drill endpoint's wire types, shared by the service side (endpoint.ts) and the caller
// (client.ts, used by `sloctl drill`). No I/O here.

/** In-process faults. The contract's names (event-loop-block, memory-leak, handle-leak) plus two. */
export const FAULT_NAMES = ['event-loop-block', 'memory-leak', 'handle-leak', 'unsettled-promises', 'cpu-burn'] as const;
export type FaultName = (typeof FAULT_NAMES)[number];

export interface EventLoopBlockParams {
  /** How long each block lasts (ms). Default 300. */
  blockMs: number;
  /** One block starts every this many ms (greater than blockMs). Default 1000. */
  everyMs: number;
  /** 'spin': burn CPU (a hot loop, a huge JSON.parse); 'sleep': block without CPU (a sync read of a slow disk). Default 'spin'. */
  mode: 'spin' | 'sleep';
}

export interface MemoryLeakParams {
  /** Heap retained per second. Default 1 MiB/s. */
  bytesPerSecond: number;
  /** Growth stops here (the fault stays, holding it). Default min(LEAK_MAX_BYTES, half the heap limit). */
  maxBytes: number;
}

/** The most a memory-leak fault retains: 1 GiB (its rate's ceiling too; validate reckons a drill's reach with it). */
export const LEAK_MAX_BYTES = 1024 ** 3;

export interface HandleLeakParams {
  /** Referenced timers leaked per second. Default 10. */
  timersPerSecond: number;
  /** TCP connections (over loopback, to a listener of the fault's own) leaked per second. Default 1. */
  socketsPerSecond: number;
  /** Leaking stops at this many timers. Default 10000. */
  maxTimers: number;
  /** Leaking stops at this many connections (two file descriptors each). Default 500. */
  maxSockets: number;
}

export interface UnsettledPromisesParams {
  /** Share of requests that await a promise that settles only when the fault is removed. Default 0.1. */
  share: number;
  /** At most this many held at once; later requests pass. Default 10000. */
  maxPending: number;
}

export interface CpuBurnParams {
  /** Share of a core burnt, on worker threads (above 1: several cores). Default 0.5. */
  cores: number;
  /** The duty cycle's period (ms): busy cores × periodMs, idle the rest. Default 100. */
  periodMs: number;
}

export interface FaultParams {
  'event-loop-block': EventLoopBlockParams;
  'memory-leak': MemoryLeakParams;
  'handle-leak': HandleLeakParams;
  'unsettled-promises': UnsettledPromisesParams;
  'cpu-burn': CpuBurnParams;
}

/** What a fault reports about itself (counters: blocks done, bytes held, handles open, ...). */
export type FaultCounters = Record<string, number | boolean>;

export interface FaultState {
  id: string;
  fault: FaultName;
  /** The parameters in effect (defaults filled in). */
  params: Record<string, number | string>;
  startedAt: string;
  expiresAt: string;
  /** The duration in effect: the one asked for, or the service's cap. */
  durationMs: number;
  /** What the caller asked for, when the cap cut it. */
  requestedDurationMs?: number;
  /** Still in effect (false in the answer to a removal). */
  active: boolean;
  /** Why it ended: 'removed', 'expired', 'reset'. */
  ended?: 'removed' | 'expired' | 'reset';
  counters: FaultCounters;
}

export interface ApplyRequest {
  fault: FaultName;
  params?: Record<string, number | string>;
  durationMs?: number;
}

export interface FaultList {
  faults: FaultState[];
  available: FaultName[];
  defaultDurationMs: number;
  maxDurationMs: number;
}

export interface DrillErrorBody {
  error: string;
  code: DrillErrorCode;
}

export type DrillErrorCode =
  | 'SLOCTL_DRILL_UNAUTHORIZED'
  | 'SLOCTL_DRILL_BAD_REQUEST'
  | 'SLOCTL_DRILL_NO_SUCH_FAULT'
  | 'SLOCTL_DRILL_TOO_MANY'
  | 'SLOCTL_DRILL_METHOD'
  | 'SLOCTL_DRILL_TOO_LARGE';

/** The endpoint's default path, and the header every answer of the endpoint carries. */
export const DEFAULT_DRILL_PATH = '/.sloctl/drill';
export const DRILL_HEADER = 'sloctl-drill';
export const DRILL_TOKEN_ENV = 'SLOCTL_DRILL_TOKEN';
export const MIN_TOKEN_LENGTH = 16;
/** A fault's duration when the caller names none, and the cap on any duration (the service may lower or raise it, up to an hour). */
export const DEFAULT_DURATION_MS = 60_000;
export const DEFAULT_MAX_DURATION_MS = 300_000;
export const MAX_MAX_DURATION_MS = 3_600_000;
