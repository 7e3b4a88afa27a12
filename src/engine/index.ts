// The SLO engine: pure math, no clock, no I/O. Time is data (ms since the Unix epoch, UTC).
export * from './counter.ts';
export * from './histogram.ts';
export * from './window.ts';
export * from './calendar.ts';
export * from './budget.ts';
export * from './alerts.ts';
export * from './health.ts';
