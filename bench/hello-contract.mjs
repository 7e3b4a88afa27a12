// The slo.yaml of the benches' Fastify and Express hello-worlds (bench/fastify-hello.ts,
// bench/fastify-inproc.ts, bench/http-server.ts, bench/experiments/fastify-parts.ts): one route,
// the objectives a user would declare. Text only: the bench servers import it without side effects.
// Plain JavaScript (types in hello-contract.d.mts): bench/experiments/parse-thread.mjs, which
// ab-pair starts with node alone, imports it too.
export const HELLO_CONTRACT = `
apiVersion: sloctl/v1
service: { name: hello }
target: { run: bench, health: /healthz, metrics: /metrics }
routes:
  - { name: hello, method: GET, path: /, weight: 1 }
objectives:
  latency: [{ name: api, threshold: 100ms, objective: 99%, percentiles: { p99: 250ms } }]
  errors: { objective: 99.9% }
  availability: { objective: 99.9% }
`;

// Appended to HELLO_CONTRACT for the `full` variant: the limiter (objectives.concurrency.limit)
// with a floor of 100 in flight, above the connections the benches open, so it admits every
// request and what is measured is the admission check's cost, not shedding; event-loop and
// in-flight thresholds start the saturation monitor, set where a saturated hello-world does not
// cross them (a crossing would capture a profile). Its two halves alone price each: the limiter
// (`limit` variant) and the saturation monitor (`monitor` variant).
const LIMITER = `    limit: { min: 100, initial: 100, max: 1000 }
`;
const MONITOR = `    eventLoopDelay: { warn: 1s, critical: 2s }
    inFlight: { warn: 5000, critical: 10000 }
    capture: none
`;
export const HELLO_FULL = `  concurrency:\n${LIMITER}${MONITOR}`;
export const HELLO_LIMIT_ONLY = `  concurrency:\n${LIMITER}`;
export const HELLO_MONITOR_ONLY = `  concurrency:\n${MONITOR}`;
