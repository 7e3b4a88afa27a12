// Whether one interval of the availability composite missed a ratio objective: a gate trial on
// the client's side, a scrape interval in the service's view (src/evaluate/embedded.ts) and in the
// generated rules (src/emit/slos.ts intervalPart), all with this one bound so they agree.
//
// An interval holds few requests: a scrape interval of 100 at 99% allows one bad request, and one
// 500 (weight 2.5) read "success missed", so a service at a tenth of its errors budget failed
// availability at 99% on its 500s alone (a user trial: 1 server error in 1,500 requests, errors
// 99.833%, availability 98.355%: FAIL). An interval below the objective misses it only when the bad
// requests of its evidence (a gate trial; for a scrape, the span up to it: availability-parts.ts
// partEvidenceWindowMs), weighted by class as the objective counts them, are more than the
// objective itself gives at 95%: the one-sided normal bound with a continuity correction,
// n·p + 1.645·√(n·p·(1−p)) + 0.5, which PromQL can write: 100 requests at 1% allow 3.1 (one 500,
// weight 2.5, but not two), 300 allow 6.3. Against the exact binomial tail at 5% it is never laxer
// and at most one request stricter (n from 5 to 5,000, objectives 90% to 99.9%;
// test/availability-intervals.test.ts).

/** z of the one-sided 95% bound. */
export const INTERVAL_Z = 1.645;

/** The most bad requests of `n` an interval at `objective` shows 95% of the time (not rounded). */
export function intervalMissBound(n: number, objective: number): number {
  const p = 1 - objective;
  return n * p + INTERVAL_Z * Math.sqrt(n * p * (1 - p)) + 0.5;
}

/** Whether `bad` (weighted as the objective counts it) of `n` requests below `objective` is a miss, not the objective's own noise. */
export function intervalMissStands(n: number, bad: number, objective: number): boolean {
  return bad > intervalMissBound(n, objective);
}
