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
//
// Known gap (not yet mended): the bound is for a count of unit events, and the errors objective's
// `bad` is weighted by class. For errors of one class of weight w, the number of errors X is the
// binomial count, and the objective's boundary is a raw error rate of p/w: X misses only past
// n·(p/w) + z·√(n·(p/w)·(1−p/w)) + 0.5. The SDK's health check (src/sdk/core/health.ts) uses that
// (errors counted once, against p over their mean weight); the judges and the rules here put w·X
// against the unit bound, which is stricter for server errors (one 500, weight 2.5, in 40 requests
// at 99%: 2.5 > 1.94, a miss, where the binomial tail at the boundary gives 15%) and laxer for
// transient ones (five 503s, weight 0.3, in 40: 1.5 ≤ 1.94, noise, where the count's bound is 3.7).
// Mending it needs the unweighted error count beside the weighted one in all three places (in the
// rules, as a PromQL term).

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
