// The code check end to end: a contract against the sources of a TypeScript and a Go service.
import assert from 'node:assert/strict';
import { cpSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { main } from '../src/cli/main.ts';

async function run(args: string[], cwd: string) {
  let stdout = '';
  let stderr = '';
  const code = await main(['node', 'sloctl', ...args], { stdout: (s) => { stdout += s; }, stderr: (s) => { stderr += s; }, cwd, color: false });
  return { code, stdout, stderr };
}

function copyFixture(name: string): string {
  const dir = mkdtempSync(join(tmpdir(), `sloctl-${name}-`));
  cpSync(join('test/fixtures', name), dir, { recursive: true });
  return dir;
}

function edit(file: string, from: string | RegExp, to: string): void {
  const text = readFileSync(file, 'utf8');
  const next = text.replace(from, to);
  assert.notEqual(next, text, `the edit of ${file} must apply`);
  writeFileSync(file, next);
}

/** line:col of the first occurrence of `needle` in a file. */
function positionOf(file: string, needle: string): string {
  const lines = readFileSync(file, 'utf8').split('\n');
  const line = lines.findIndex((l) => l.includes(needle));
  assert.ok(line >= 0, `${needle} not in ${file}`);
  return `${line + 1}:${lines[line].indexOf(needle) + 1}`;
}

describe('validate --project (TypeScript)', () => {
  it('passes when the code registers every metric the contract reads', async () => {
    const r = await run(['validate', 'test/fixtures/ts-service/slo.yaml', '--project', 'test/fixtures/ts-service'], process.cwd());
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /code check: 3 metrics registered in 3 files under test\/fixtures\/ts-service, plus \d+ runtime defaults/);
  });

  it('reports a metric the contract reads once its registration is removed, at the contract line that needs it', async () => {
    const dir = copyFixture('ts-service');
    edit(join(dir, 'src/metrics.ts'), /export const inFlight = new Gauge\(\{[^}]*\}\);/, 'export const inFlight = { inc() {}, dec() {} };');
    const r = await run(['validate', 'slo.yaml', '--project', '.'], dir);
    assert.equal(r.code, 1);
    const where = positionOf(join(dir, 'slo.yaml'), 'inFlight:');
    assert.match(r.stderr, new RegExp(`slo\\.yaml:${where}: error SLO_METRIC_NOT_REGISTERED: the in-flight thresholds reads the gauge \`http_server_active_requests\`, which the code under \\. does not register`));
    assert.match(r.stderr, /hint: register it .*metrics: \{ inFlight: <name> \}/);
  });

  it('reports default metrics gone when collectDefaultMetrics() is removed', async () => {
    const dir = copyFixture('ts-service');
    edit(join(dir, 'src/metrics.ts'), /collectDefaultMetrics\([^)]*\);?/, '');
    const r = await run(['validate', 'slo.yaml', '--project', '.', '--format', 'json'], dir);
    assert.equal(r.code, 1);
    const missing = JSON.parse(r.stdout).files[0].diagnostics.filter((d: { code: string }) => d.code === 'SLO_METRIC_NOT_REGISTERED').map((d: { message: string }) => /`([^`]+)`/.exec(d.message)![1]).sort();
    assert.deepEqual(missing, ['nodejs_eventloop_lag_p99_seconds', 'nodejs_heap_size_used_bytes']);
  });

  it('reports a metric registered with another type', async () => {
    const dir = copyFixture('ts-service');
    edit(join(dir, 'src/metrics.ts'), 'new client.Histogram(', 'new client.Summary(');
    const r = await run(['validate', 'slo.yaml', '--project', '.'], dir);
    assert.equal(r.code, 1, r.stderr);
    assert.match(r.stderr, /error SLO_METRIC_TYPE: the latency objectives reads `http_server_request_duration_seconds` as a histogram, but the code registers it as a summary/);
    assert.match(r.stderr, /note: src\/metrics\.ts:\d+:\d+: registered here/);
  });

  it('--strict reports an SLI-looking metric no contract reads, in the source file', async () => {
    const dir = copyFixture('ts-service');
    const extra = "\nexport const checkoutErrors = new Counter({ name: 'checkout_payment_errors_total', help: 'Payment errors.' });\n";
    writeFileSync(join(dir, 'src/metrics.ts'), readFileSync(join(dir, 'src/metrics.ts'), 'utf8') + extra);
    const lax = await run(['validate', 'slo.yaml', '--project', '.'], dir);
    assert.equal(lax.code, 0, lax.stderr);
    const strict = await run(['validate', 'slo.yaml', '--project', '.', '--strict'], dir);
    assert.equal(strict.code, 1);
    assert.match(strict.stderr, /src\/metrics\.ts:\d+:\d+: warning SLO_METRIC_UNCOVERED: `checkout_payment_errors_total` \(counter\) looks like an SLI, but no contract reads it/);
  });
});

describe('validate --project on the example service', () => {
  it('finds every metric the checkout contract reads in the checkout service', async () => {
    const r = await run(['validate', 'examples/checkout/slo.yaml', '--project', 'examples/checkout'], process.cwd());
    assert.equal(r.code, 0, r.stderr);
  });

  it('reports the custom SLI\'s counter once the service stops registering it', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'sloctl-checkout-'));
    cpSync('examples/checkout', dir, { recursive: true });
    edit(join(dir, 'orders.ts'), "name: 'checkout_orders_total'", "name: 'checkout_orders_created'");
    const r = await run(['validate', 'slo.yaml', '--project', '.'], dir);
    assert.equal(r.code, 1);
    const where = positionOf(join(dir, 'slo.yaml'), 'sum(increase(checkout_orders_total{state="confirmed"}');
    assert.match(r.stderr, new RegExp(`slo\\.yaml:${where}: error SLO_METRIC_NOT_REGISTERED: the good query of custom SLI "orders-confirmed" reads \`checkout_orders_total\``));
  });
});

describe('validate --go-module-path (Go)', () => {
  it('passes on the Go fixture: names joined as client_golang joins them, default collectors counted', async () => {
    const r = await run(['validate', 'test/fixtures/go-service/slo.yaml', '--go-module-path', 'test/fixtures/go-service'], process.cwd());
    assert.equal(r.code, 0, r.stderr);
  });

  it('reports the namespaced counter a custom SLI reads once its registration is removed', async () => {
    const dir = copyFixture('go-service');
    edit(join(dir, 'metrics.go'), /var ordersCreated = promauto\.NewCounter\(prom\.CounterOpts\{[^}]*\}\)/, 'var ordersCreated = 0');
    const r = await run(['validate', 'slo.yaml', '--go-module-path', '.'], dir);
    assert.equal(r.code, 1);
    const where = positionOf(join(dir, 'slo.yaml'), 'sum(increase(orders_created_total');
    assert.match(r.stderr, new RegExp(`slo\\.yaml:${where}: error SLO_METRIC_NOT_REGISTERED: the good query of custom SLI "orders-created" reads \`orders_created_total\``));
  });

  it('reports go_goroutines when nothing registers the default collectors', async () => {
    const dir = copyFixture('go-service');
    for (const f of ['main.go', 'metrics.go']) {
      const text = readFileSync(join(dir, f), 'utf8');
      writeFileSync(join(dir, f), text.replace(/promhttp\.Handler\(\)/g, 'http.NotFoundHandler()').replace(/prom\.MustRegister\(requestDuration\)/g, 'prom.NewRegistry().MustRegister(requestDuration)'));
    }
    const r = await run(['validate', 'slo.yaml', '--go-module-path', '.', '--format', 'json'], dir);
    const missing = JSON.parse(r.stdout).files[0].diagnostics.filter((d: { code: string }) => d.code === 'SLO_METRIC_NOT_REGISTERED').map((d: { message: string }) => /`([^`]+)`/.exec(d.message)![1]).sort();
    assert.deepEqual(missing, ['go_goroutines', 'go_memstats_heap_inuse_bytes']);
  });
});
