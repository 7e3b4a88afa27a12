// In a node:cluster worker (PM2's cluster mode forks them too) every worker has its own SDK, its own
// prom-client registry and its own health: whichever worker takes a connection answers /metrics and
// /healthz, so a scraper reads one worker's numbers, or several workers' in turn. Nothing in the
// worker can fix that; the SDK says it once, at instrument(), with what to do. Nothing per request.
//
// node:cluster is not imported here: that would load child_process, dgram and the cluster
// internals into every instrumented process, and more loaded code made Node's own request path
// measurably slower before (bench/RESULTS.md, node:tls). A worker's bootstrap has loaded it
// already (Node sets a worker up from NODE_UNIQUE_ID, then deletes the variable, before the
// application runs), so it is asked only where it is loaded.
import { createRequire } from 'node:module';

/** The line to log, or undefined outside a cluster worker. Pure given its arguments (tests pass them). */
export function clusterNotice(isWorker: boolean, workerId: number | undefined, metricsPath: string | undefined, healthPath: string | undefined): string | undefined {
  if (!isWorker) return undefined;
  const metrics = metricsPath ?? '/metrics';
  const health = healthPath ?? '/healthz';
  return `sloctl: this process is cluster worker ${workerId ?? '?'}: its ${metrics} and ${health} answer for this worker alone, and a scrape reaches whichever worker takes the connection `
    + '(sloctl gate and status read the workers taking turns as INCONCLUSIVE). Serve one /metrics for all workers from the primary with prom-client\'s AggregatorRegistry '
    + '(src/sdk/README.md, "Cluster mode"), or give each worker its own metrics port; instrument({ clusterNotice: false }) turns this line off';
}

/** Writes the notice once per process, as one JSON line on stderr (as the SDK's other run-time notices). */
export function noticeCluster(metricsPath: string | undefined, healthPath: string | undefined, write: (line: string) => void = (l) => process.stderr.write(l)): void {
  if (noticed) return;
  const worker = clusterWorker();
  const message = clusterNotice(worker !== undefined, worker?.id, metricsPath, healthPath);
  if (message === undefined) return;
  noticed = true;
  write(`${JSON.stringify({ time: new Date().toISOString(), event: 'cluster-worker', message })}\n`);
}
let noticed = false;

/** This process's cluster worker, when it is one: node:cluster, only if its bootstrap loaded it. */
export function clusterWorker(): { id: number | undefined } | undefined {
  const loaded = (process as { moduleLoadList?: readonly string[] }).moduleLoadList;
  if (loaded === undefined || !loaded.includes('NativeModule internal/cluster/child')) return undefined;
  const cluster = createRequire(import.meta.url)('node:cluster') as typeof import('node:cluster').default;
  return cluster.isWorker ? { id: cluster.worker?.id } : undefined;
}
