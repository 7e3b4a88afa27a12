// A copy of the checkout example's contract a test can run: the example's slo.yaml (or a variant
// of its text) written to a temporary directory, started from the repository (target.cwd) and
// instrumented with the copy (CHECKOUT_CONTRACT), with nothing on a fixed port. The shipped file pins checkout to 8080 and its stand-ins to 8081
// (payments) and 8082 (recommendations), so `npm run demo` and a drill's fault proxy find them;
// a test must not assume those are free, so the copy drops target.port (sloctl picks one) and
// moves every dependency with a `url` to a free port, its URL and its NAME_PORT variable in
// target.env together (the stand-in must listen where the proxy forwards).
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { isMap, isSeq, parseDocument } from 'yaml';
import { freePort } from './prometheus.ts';

export const REPO = resolve(import.meta.dirname, '../..');
export const EXAMPLE_FILE = join(REPO, 'examples/checkout/slo.yaml');
/** The example's contract as shipped. */
export const EXAMPLE_TEXT = readFileSync(EXAMPLE_FILE, 'utf8');

export interface ExampleContractOptions {
  /** Prefix of the temporary directory's name. */
  prefix?: string;
  /** Extra target.env entries (set after the ports, so they win: PAYMENTS_URL to a dead port, say). */
  env?: Record<string, string>;
}

export interface ExampleContract {
  /** The temporary directory the contract is written to (a journal or a baseline can go there too). */
  dir: string;
  file: string;
  text: string;
  /** Per dependency name: the free port its stand-in gets, and the URL the contract now gives it. */
  dependencies: Record<string, { port: number; url: string; portEnv: string }>;
}

/**
 * `text` (default: the example as shipped) with target.port removed, target.cwd the repository,
 * and each dependency that has a `url` moved to a free loopback port. Fails the test when the text
 * no longer looks like the example (no target.run, a dependency whose port no variable sets).
 */
export async function exampleContract(text: string = EXAMPLE_TEXT, opts: ExampleContractOptions = {}): Promise<ExampleContract> {
  const doc = parseDocument(text);
  assert.equal(doc.errors.length, 0, `the contract text parses as YAML: ${doc.errors.map((e) => e.message).join('; ')}`);
  assert.equal(doc.getIn(['target', 'run']), 'npm run example', 'the example is started with npm run example');
  doc.deleteIn(['target', 'port']);
  doc.setIn(['target', 'cwd'], REPO);

  const dependencies: ExampleContract['dependencies'] = {};
  const deps = doc.get('dependencies');
  if (isSeq(deps)) {
    for (let i = 0; i < deps.items.length; i++) {
      const d = deps.items[i];
      if (!isMap(d) || typeof d.get('url') !== 'string') continue;
      const name = String(d.get('name'));
      const portEnv = `${name.toUpperCase().replace(/[^A-Z0-9]/g, '_')}_PORT`;
      assert.ok(doc.hasIn(['target', 'env', portEnv]), `dependency "${name}" has a url, so target.env sets ${portEnv} (where its stand-in listens)`);
      const port = await freePort();
      const url = `http://127.0.0.1:${port}`;
      d.set('url', url);
      doc.setIn(['target', 'env', portEnv], String(port));
      dependencies[name] = { port, url, portEnv };
    }
  }
  // The service instruments itself with this copy, not the shipped file: it honours the copy's
  // text, and its evidence directory (relative to the contract) is in the copy's directory, not
  // the checkout's examples/checkout/.sloctl (where the copies of one test run wrote side by side).
  const dir = mkdtempSync(join(tmpdir(), opts.prefix ?? 'sloctl-example-'));
  const file = join(dir, 'slo.yaml');
  doc.setIn(['target', 'env', 'CHECKOUT_CONTRACT'], file);
  // Stopped at once: on SIGTERM the example keeps accepting for DRAIN_ANNOUNCE_MS (default 1 s, for
  // load balancers; there are none here) before it drains, and sloctl's stop of it took ~2.1 s of
  // every gate and drill on a copy (measured from their journals: the last evidence read to
  // target-stopped), after everything they judge was measured. The drain itself still runs (health
  // DOWN, in-flight requests finished, exit 0); test/sdk-drain.test.ts tests the example's drain
  // with its 1 s announce. A test's own env can set it back.
  doc.setIn(['target', 'env', 'DRAIN_ANNOUNCE_MS'], '0');
  for (const [k, v] of Object.entries(opts.env ?? {})) doc.setIn(['target', 'env', k], v);

  const out = doc.toString();
  writeFileSync(file, out);
  return { dir, file, text: out, dependencies };
}
