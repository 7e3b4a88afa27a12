import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { runCli } from './helpers/cli.ts';
import { contractJsonSchema } from '../src/contract/json-schema.ts';

async function run(args: string[], cwd = process.cwd()) {
  return runCli([...args], cwd);
}

const INVALID = 'test/fixtures/contracts/invalid';

describe('sloctl validate', () => {
  it('exits 0 on the example and says what it found', async () => {
    const r = await run(['validate', 'examples/checkout/slo.yaml']);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /service "checkout", 5 SLOs, 11\/11 contracts/);
  });

  for (const [fixture, where] of [
    ['unknown-key-typo.yaml', '8:7'], ['duration-words.yaml', '6:13'], ['objective-150.yaml', '6:16'], ['dependency-timeout.yaml', '11:14'],
    ['weights-0.9.yaml', '7:5'], ['yaml-syntax.yaml', '4:16'], ['empty.yaml', '1:1'], ['list.yaml', '1:1'],
  ]) {
    it(`exits 1 on ${fixture} with ${where}`, async () => {
      const r = await run(['validate', `${INVALID}/${fixture}`]);
      assert.equal(r.code, 1);
      assert.ok(r.stderr.startsWith(`${INVALID}/${fixture}:${where}: error `), r.stderr);
    });
  }

  it('validates every slo.yaml under a directory, all errors of all files', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'sloctl-dir-'));
    mkdirSync(join(dir, 'a'));
    mkdirSync(join(dir, 'b'));
    mkdirSync(join(dir, 'node_modules', 'x'), { recursive: true });
    cpSync('examples/checkout/slo.yaml', join(dir, 'a', 'slo.yaml'));
    cpSync(`${INVALID}/objective-150.yaml`, join(dir, 'b', 'slo.yaml'));
    cpSync(`${INVALID}/empty.yaml`, join(dir, 'node_modules', 'x', 'slo.yaml'));
    const r = await run(['validate', '.', '--format', 'json'], dir);
    assert.equal(r.code, 1);
    const report = JSON.parse(r.stdout);
    assert.deepEqual(report.files.map((f: { file: string; valid: boolean }) => [f.file, f.valid]), [['a/slo.yaml', true], ['b/slo.yaml', false]]);
    assert.equal(report.files[1].diagnostics[0].code, 'SLO_OBJECTIVE_RANGE');
    assert.equal(report.files[1].diagnostics[0].line, 6);
  });

  it('finds duplicate SLO names of one service across files', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'sloctl-dup-'));
    const body = (slo: string) => `apiVersion: sloctl/v1\nservice:\n  name: orders\nobjectives:\n  latency:\n    - name: ${slo}\n      threshold: 200ms\n      objective: 99%\n`;
    writeFileSync(join(dir, 'one.yaml'), body('api-latency'));
    writeFileSync(join(dir, 'two.yaml'), body('api-latency'));
    const r = await run(['validate', 'one.yaml', 'two.yaml'], dir);
    assert.equal(r.code, 1);
    assert.match(r.stderr, /two\.yaml:6:13: error SLO_DUPLICATE_NAME: service "orders" already has an SLO named "api-latency" in one\.yaml/);
    assert.match(r.stderr, /note: one\.yaml:6:13: first defined here/);
  });

  it('counts agree with their nouns: 1 SLO, 1 route, 1 dependency, 1 error (a user read "1 dependencies")', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'sloctl-one-'));
    writeFileSync(join(dir, 'slo.yaml'), 'apiVersion: sloctl/v1\nservice: { name: one, owner: me }\nroutes:\n  - { name: home, method: GET, path: / }\ndependencies:\n  - { name: db, url: "http://127.0.0.1:5432", timeout: 100ms }\nobjectives:\n  errors: { objective: 99% }\n');
    const one = await run(['validate'], dir);
    assert.equal(one.code, 0, one.stderr);
    assert.equal(one.stdout, '✓ slo.yaml: service "one", 1 SLO, 1/11 contracts (errors), 1 route, 1 dependency\nvalid: 1 file, 0 errors, 0 warnings\n');
    writeFileSync(join(dir, 'bad.yaml'), 'apiVersion: sloctl/v1\nservice: { name: x, owner: y }\nobjectives:\n  errors:\n    objective: 150%\n');
    const bad = await run(['validate', 'bad.yaml'], dir);
    assert.equal(bad.code, 1);
    assert.equal(bad.stdout, '✗ bad.yaml: 1 error\ninvalid: 1 file, 1 error, 0 warnings\n');
  });

  it('defaults to ./slo.yaml, and says what to do when there is none', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'sloctl-default-'));
    const missing = await run(['validate'], dir);
    assert.equal(missing.code, 2);
    assert.equal(missing.stderr, `sloctl: no contract named, and no slo.yaml in ${dir}: name the contract file (\`sloctl validate path/to/slo.yaml\`), or run sloctl in the directory that has slo.yaml\n`);
    cpSync('examples/checkout/slo.yaml', join(dir, 'slo.yaml'));
    assert.equal((await run(['validate'], dir)).code, 0);
  });

  it('exits 2 on usage errors: bad flags, bad format, unreadable paths', async () => {
    assert.equal((await run(['validate', '--no-such-flag'])).code, 2);
    const format = await run(['validate', 'examples/checkout/slo.yaml', '--format', 'xml']);
    assert.equal(format.code, 2);
    assert.match(format.stderr, /--format must be text or json, got "xml"/);
    const project = await run(['validate', 'examples/checkout/slo.yaml', '--project', 'no/such/dir']);
    assert.equal(project.code, 2);
    assert.match(project.stderr, /--project no\/such\/dir: not a directory/);
    assert.equal((await run(['no-such-command'])).code, 2);
  });

  it('warnings pass, and fail with --strict', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'sloctl-strict-'));
    const text = readFileSync('examples/checkout/slo.yaml', 'utf8').replace('handles: { warn: 1000, critical: 5000 }', 'handles: { warn: 1000, critical: 5000 }\n    goroutines: { warn: 100, critical: 200 }');
    writeFileSync(join(dir, 'slo.yaml'), text);
    const lax = await run(['validate'], dir);
    assert.equal(lax.code, 0);
    assert.match(lax.stderr, /warning SLO_CONTRACT_GAP: goroutines apply to Go services/);
    assert.equal((await run(['validate', '--strict'], dir)).code, 1);
  });
});

describe('a symbolic link named slo.yaml gets one answer from the file named, the directory searched and the staged check (the hook)', () => {
  const git = (cwd: string, ...args: string[]) => execFileSync('git', args, { cwd, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
  function repo(): string {
    const dir = mkdtempSync(join(tmpdir(), 'sloctl-link-'));
    git(dir, 'init', '-q', '-b', 'main');
    return dir;
  }
  const BROKEN = readFileSync(`${INVALID}/objective-150.yaml`, 'utf8'); // error at 6:16
  const GOOD = readFileSync('examples/checkout/slo.yaml', 'utf8');
  /** `validate <link>`, `validate <its directory>`, `validate --staged` (what the pre-commit hook runs). */
  async function threeWays(dir: string, link: string) {
    return {
      file: await run(['validate', link], dir),
      directory: await run(['validate', link.slice(0, link.lastIndexOf('/'))], dir),
      staged: await run(['validate', '--staged'], dir),
    };
  }

  it('a link to a contract in the repository: all three validate the target under the link\'s name', async () => {
    const dir = repo();
    mkdirSync(join(dir, 'real'));
    mkdirSync(join(dir, 'linked'));
    writeFileSync(join(dir, 'real', 'slo.yaml'), BROKEN);
    symlinkSync('../real/slo.yaml', join(dir, 'linked', 'slo.yaml'));
    git(dir, 'add', 'linked'); // the target is untracked: the staged check reads it from the working tree
    for (const [way, r] of Object.entries(await threeWays(dir, 'linked/slo.yaml'))) {
      assert.equal(r.code, 1, `${way}: ${r.stderr}`);
      assert.ok(r.stderr.startsWith('linked/slo.yaml:6:16: error SLO_OBJECTIVE_RANGE: objective 150%'), `${way}: ${r.stderr}`);
    }
  });

  it('staged: the target\'s staged content counts, not its working tree; a link and its target are one file', async () => {
    const dir = repo();
    mkdirSync(join(dir, 'real'));
    mkdirSync(join(dir, 'linked'));
    writeFileSync(join(dir, 'real', 'slo.yaml'), GOOD);
    symlinkSync('../real/slo.yaml', join(dir, 'linked', 'slo.yaml'));
    git(dir, 'add', '.');
    writeFileSync(join(dir, 'real', 'slo.yaml'), BROKEN); // broken on disk, good in the index
    const staged = await run(['validate', '--staged'], dir);
    assert.equal(staged.code, 0, staged.stderr);
    assert.match(staged.stdout, /✓ real\/slo\.yaml: service "checkout"/);
    assert.match(staged.stdout, /valid: 1 file, 0 errors/, 'validated once, under the file\'s own name');
    const onDisk = await run(['validate', 'linked/slo.yaml'], dir);
    assert.equal(onDisk.code, 1);
    // Only the link staged, its target staged earlier: the index copy of the target still counts.
    git(dir, '-c', 'user.name=t', '-c', 'user.email=t@e', '-c', 'commit.gpgsign=false', 'commit', '-q', '--no-verify', '-m', 'x');
    rmSync(join(dir, 'linked', 'slo.yaml'));
    symlinkSync('../real/./slo.yaml', join(dir, 'linked', 'slo.yaml'));
    git(dir, 'add', 'linked');
    const linkOnly = await run(['validate', '--staged'], dir);
    assert.equal(linkOnly.code, 0, linkOnly.stderr);
    assert.match(linkOnly.stdout, /✓ linked\/slo\.yaml: service "checkout"/);
    // A directory search that meets both names validates the file once.
    writeFileSync(join(dir, 'real', 'slo.yaml'), GOOD);
    const both = await run(['validate', '.'], dir);
    assert.equal(both.code, 0, both.stderr);
    assert.match(both.stdout, /valid: 1 file, 0 errors/);
    assert.doesNotMatch(both.stderr, /SLO_DUPLICATE_NAME/);
  });

  it('a link out of the repository is read from disk, in all three', async () => {
    const dir = repo();
    const outside = mkdtempSync(join(tmpdir(), 'sloctl-outside-'));
    writeFileSync(join(outside, 'contract.yaml'), BROKEN);
    mkdirSync(join(dir, 'svc'));
    symlinkSync(join(outside, 'contract.yaml'), join(dir, 'svc', 'slo.yaml'));
    mkdirSync(join(dir, 'rel'));
    symlinkSync(join('..', '..', outside.slice(outside.lastIndexOf('/') + 1), 'contract.yaml'), join(dir, 'rel', 'slo.yaml'));
    for (const link of ['svc/slo.yaml', 'rel/slo.yaml']) {
      git(dir, 'reset', '-q');
      git(dir, 'add', link); // both lead to one file: staged together, they would be validated once
      for (const [way, r] of Object.entries(await threeWays(dir, link))) {
        assert.equal(r.code, 1, `${link} ${way}: ${r.stderr}`);
        assert.match(r.stderr, new RegExp(`^${link.replace('/', '\\/').replace('.', '\\.')}:6:16: error SLO_OBJECTIVE_RANGE`, 'm'), `${link} ${way}`);
      }
    }
  });

  it('a link that loops or points nowhere: exit 2 naming the link, in all three', async () => {
    const dir = repo();
    mkdirSync(join(dir, 'self'));
    symlinkSync('slo.yaml', join(dir, 'self', 'slo.yaml'));
    mkdirSync(join(dir, 'a'));
    mkdirSync(join(dir, 'b'));
    symlinkSync('../b/slo.yaml', join(dir, 'a', 'slo.yaml'));
    symlinkSync('../a/slo.yaml', join(dir, 'b', 'slo.yaml'));
    mkdirSync(join(dir, 'gone'));
    symlinkSync('../nope/slo.yaml', join(dir, 'gone', 'slo.yaml'));
    const cases: Array<[string, RegExp]> = [
      ['self/slo.yaml', /^sloctl: cannot read self\/slo\.yaml: it is a symbolic link that loops.*it never reaches a file/m],
      ['a/slo.yaml', /^sloctl: cannot read a\/slo\.yaml: it is a symbolic link that loops.*it never reaches a file/m],
      ['gone/slo.yaml', /^sloctl: cannot read gone\/slo\.yaml: it is a symbolic link to \.\.\/nope\/slo\.yaml, which does not exist/m],
    ];
    for (const [link, message] of cases) {
      git(dir, 'reset', '-q');
      git(dir, 'add', link);
      for (const [way, r] of Object.entries(await threeWays(dir, link))) {
        assert.equal(r.code, 2, `${link} ${way}: ${r.stdout}${r.stderr}`);
        assert.match(r.stderr, message, `${link} ${way}`);
      }
    }
    git(dir, 'add', 'a', 'b');
    assert.match((await run(['validate', '--staged', 'a'], dir)).stderr, /loops \(a\/slo\.yaml -> b\/slo\.yaml -> a\/slo\.yaml\)/);
  });

  it('staged with a directory: only the contracts under it, not a staged baseline or .gitignore (a monorepo user trial)', async () => {
    const dir = repo();
    mkdirSync(join(dir, 'services/orders/.sloctl'), { recursive: true });
    writeFileSync(join(dir, 'services/orders/slo.yaml'), GOOD);
    writeFileSync(join(dir, 'services/orders/.sloctl/baseline.json'), '{"version":1,"trials":[]}\n');
    writeFileSync(join(dir, 'services/orders/.sloctl/.gitignore'), 'runs/\n');
    writeFileSync(join(dir, 'services/orders/notes.yaml'), 'not: a contract\n');
    git(dir, 'add', '.');
    const r = await run(['validate', '--staged', 'services'], dir);
    assert.equal(r.code, 0, r.stdout + r.stderr);
    assert.match(r.stdout, /valid: 1 file, 0 errors/);
    assert.doesNotMatch(r.stdout + r.stderr, /baseline\.json|gitignore|notes\.yaml/);
    // A file named is still validated whatever its name.
    const named = await run(['validate', '--staged', 'services/orders/notes.yaml'], dir);
    assert.equal(named.code, 1, named.stdout + named.stderr);
    assert.match(named.stderr, /^services\/orders\/notes\.yaml:1:1: error/m);
  });

  it('staged: a contract over the size bound is refused from its size', async () => {
    const dir = repo();
    writeFileSync(join(dir, 'slo.yaml'), `${GOOD}#${'x'.repeat(2 * 1024 * 1024)}\n`);
    git(dir, 'add', '.');
    const r = await run(['validate', '--staged'], dir);
    assert.equal(r.code, 1);
    assert.match(r.stderr, /^slo\.yaml:1:1: error SLO_TOO_LARGE: the file is 2 MiB; sloctl reads contract files of at most 1 MiB/);
  });
});

describe('sloctl schema', () => {
  it('prints the JSON Schema that the committed schema file holds', async () => {
    const r = await run(['schema']);
    assert.equal(r.code, 0);
    const printed = JSON.parse(r.stdout) as { additionalProperties: boolean; properties: Record<string, any> };
    assert.deepEqual(printed, contractJsonSchema());
    assert.deepEqual(JSON.parse(readFileSync('schema/slo.schema.json', 'utf8')), printed, 'schema/slo.schema.json is stale: run `npm run schema`');
    assert.equal(printed.additionalProperties, false);
    assert.ok(printed.properties.objectives);
    assert.equal(printed.properties.window.anyOf[0].pattern, '^([0-9]+(\\.[0-9]+)?(ms|s|m|h|d|w))+$');
  });
});

describe('sloctl hook install', () => {
  const sloctl = join(process.cwd(), 'bin', 'sloctl.js');
  const git = (cwd: string, ...args: string[]) => execFileSync('git', args, { cwd, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
  function repo(): string {
    const dir = mkdtempSync(join(tmpdir(), 'sloctl-hook-'));
    git(dir, 'init', '-q', '-b', 'main');
    git(dir, 'config', 'user.email', 'test@example.com');
    git(dir, 'config', 'user.name', 'test');
    git(dir, 'config', 'commit.gpgsign', 'false');
    return dir;
  }
  function commit(cwd: string): { ok: boolean; output: string } {
    try {
      return { ok: true, output: execFileSync('git', ['commit', '-q', '-m', 'change'], { cwd, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] }) };
    } catch (e) {
      const err = e as { stdout: string; stderr: string };
      return { ok: false, output: `${err.stdout}${err.stderr}` };
    }
  }

  it('refuses a broken staged slo.yaml with the located message, accepts a good one', () => {
    const dir = repo();
    mkdirSync(join(dir, 'svc'));
    // Installed from a subdirectory of the repository.
    execFileSync(process.execPath, [sloctl, 'hook', 'install'], { cwd: join(dir, 'svc') });
    writeFileSync(join(dir, 'svc', 'slo.yaml'), readFileSync(`${INVALID}/objective-150.yaml`, 'utf8'));
    git(dir, 'add', '.');
    const refused = commit(dir);
    assert.equal(refused.ok, false);
    assert.match(refused.output, /svc\/slo\.yaml:6:16: error SLO_OBJECTIVE_RANGE: objective 150%/);
    assert.match(refused.output, /commit refused/);

    // The staged content is what counts: fix it in the index, break it in the working tree.
    writeFileSync(join(dir, 'svc', 'slo.yaml'), readFileSync('examples/checkout/slo.yaml', 'utf8'));
    git(dir, 'add', '.');
    writeFileSync(join(dir, 'svc', 'slo.yaml'), 'objective: [');
    const accepted = commit(dir);
    assert.equal(accepted.ok, true, accepted.output);
    assert.equal(git(dir, 'log', '--oneline').trim().split('\n').length, 1);
  });

  it('is idempotent and chains an existing hook instead of overwriting it', () => {
    const dir = repo();
    const hooks = join(dir, '.git', 'hooks');
    writeFileSync(join(hooks, 'pre-commit'), '#!/bin/sh\necho "team hook ran" >&2\nexit 0\n', { mode: 0o755 });
    const first = execFileSync(process.execPath, [sloctl, 'hook', 'install'], { cwd: dir, encoding: 'utf8' });
    assert.match(first, /installed: .*runs the previous hook first/);
    const installed = readFileSync(join(hooks, 'pre-commit'), 'utf8');
    const second = execFileSync(process.execPath, [sloctl, 'hook', 'install'], { cwd: dir, encoding: 'utf8' });
    assert.match(second, /already installed/);
    assert.equal(readFileSync(join(hooks, 'pre-commit'), 'utf8'), installed);
    assert.equal(readFileSync(join(hooks, 'pre-commit.sloctl-chained'), 'utf8'), '#!/bin/sh\necho "team hook ran" >&2\nexit 0\n');

    writeFileSync(join(dir, 'slo.yaml'), readFileSync('examples/checkout/slo.yaml', 'utf8'));
    git(dir, 'add', '.');
    const r = commit(dir);
    assert.equal(r.ok, true, r.output);

    // A failing team hook still blocks the commit.
    writeFileSync(join(hooks, 'pre-commit.sloctl-chained'), '#!/bin/sh\necho "team hook says no" >&2\nexit 7\n', { mode: 0o755 });
    writeFileSync(join(dir, 'other.txt'), 'x');
    git(dir, 'add', '.');
    const blocked = commit(dir);
    assert.equal(blocked.ok, false);
    assert.match(blocked.output, /team hook says no/);

    const removed = execFileSync(process.execPath, [sloctl, 'hook', 'uninstall'], { cwd: dir, encoding: 'utf8' });
    assert.match(removed, /previous hook restored/);
    assert.match(readFileSync(join(hooks, 'pre-commit'), 'utf8'), /team hook says no/);
  });

  it('says where to run it outside a repository', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'sloctl-norepo-'));
    const r = await run(['hook', 'install'], dir);
    assert.equal(r.code, 2);
    assert.match(r.stderr, /is not inside a git repository/);
  });
});

describe('validate: a Go service gets the Go way (issue 10: hints and options were Node\'s)', () => {
  const json = async (dir: string, args: string[]) => {
    const r = await run(['validate', 'slo.yaml', '--format', 'json', ...args], dir);
    return { code: r.code, diagnostics: JSON.parse(r.stdout).files[0].diagnostics as Array<{ code: string; severity: string; message: string; hint?: string; line: number; col: number }> };
  };

  it('the code check\'s hint for an unregistered metric: client_golang for a Go contract, sloctl/sdk and prom-client for a Node one', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'sloctl-go-hints-'));
    cpSync('test/fixtures/go-service', dir, { recursive: true });
    const metrics = readFileSync(join(dir, 'metrics.go'), 'utf8');
    writeFileSync(join(dir, 'metrics.go'), metrics.replace('"http_server_request_duration_seconds"', '"http_latency_seconds"'));
    const go = await json(dir, ['--go-module-path', '.']);
    const missing = go.diagnostics.find((d) => d.code === 'SLO_METRIC_NOT_REGISTERED');
    assert.ok(missing, JSON.stringify(go.diagnostics));
    assert.match(missing.hint!, /^register it with client_golang: `promauto\.NewHistogramVec\(prometheus\.HistogramOpts\{Name: "http_server_request_duration_seconds", Buckets: \[\]float64\{0\.005, 0\.01, 0\.025, 0\.05, 0\.1, 0\.25, 0\.5, 1, 2\.5, 5, 10\}\}, \[\]string\{"handler", "method", "code"\}\)`/);
    assert.doesNotMatch(missing.hint!, /instrument\(\)|prom-client/);

    // The same contract as a Node service: the SDK's way, then prom-client's (with a bucket at the 250ms threshold).
    const contract = readFileSync(join(dir, 'slo.yaml'), 'utf8');
    writeFileSync(join(dir, 'slo.yaml'), contract.replace('runtime: go', 'runtime: node').replace(/\n {4}goroutines:.*\n/, '\n').replace(/\n {2}memory:\n.*\n/, '\n'));
    const node = await json(dir, ['--go-module-path', '.']);
    const nodeMissing = node.diagnostics.find((d) => d.code === 'SLO_METRIC_NOT_REGISTERED' && /http_server_request_duration_seconds/.test(d.message));
    assert.ok(nodeMissing, JSON.stringify(node.diagnostics));
    assert.match(nodeMissing.hint!, /^register it \(sloctl\/sdk's instrument\(\) does\), or with prom-client: `new client\.Histogram\(\{ name: 'http_server_request_duration_seconds'.*buckets: \[0\.005, 0\.01, 0\.025, 0\.05, 0\.1, 0\.25, 0\.5, 1, 2\.5, 5, 10\]/);
    assert.doesNotMatch(nodeMissing.hint!, /client_golang|promauto/);
  });

  it('the code check reads a Go histogram\'s Buckets: a threshold with no bucket is an error at the threshold, with the sorted list; append(DefBuckets, …) out of order is the panic it is', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'sloctl-go-buckets-'));
    cpSync('test/fixtures/go-service', dir, { recursive: true });
    const contract = readFileSync(join(dir, 'slo.yaml'), 'utf8').replace('threshold: 250ms', 'threshold: 300ms');
    writeFileSync(join(dir, 'slo.yaml'), contract);
    const r = await json(dir, ['--go-module-path', '.']);
    const bucket = r.diagnostics.find((d) => d.code === 'SLO_BUCKET_MISSING');
    assert.ok(bucket, JSON.stringify(r.diagnostics));
    const lines = contract.split('\n');
    const line = lines.findIndex((l) => l.includes('threshold: 300ms')) + 1;
    assert.equal(`${bucket.line}:${bucket.col}`, `${line}:${lines[line - 1].indexOf('300ms') + 1}`);
    assert.match(bucket.message, /`http_server_request_duration_seconds` as registered at metrics\.go:11:11 has no bucket at 0\.3 s: its buckets are 0\.005, 0\.01, 0\.025, 0\.05, 0\.1, 0\.25, 0\.5, 1, 2\.5, \+Inf/);
    assert.match(bucket.hint!, /Buckets: \[\]float64\{0\.005, 0\.01, 0\.025, 0\.05, 0\.1, 0\.25, 0\.3, 0\.5, 1, 2\.5\}/);
    assert.equal(r.code, 1);

    // The fix the brief first had in mind, append(prometheus.DefBuckets, 0.3), panics in client_golang (10 >= 0.3).
    const metrics = readFileSync(join(dir, 'metrics.go'), 'utf8');
    writeFileSync(join(dir, 'metrics.go'), metrics.replace(/Buckets: \[\]float64\{[^}]*\}/, 'Buckets: append(prom.DefBuckets, 0.3)'));
    const appended = await run(['validate', 'slo.yaml', '--format', 'json', '--go-module-path', '.'], dir);
    const report = JSON.parse(appended.stdout) as { files: Array<{ diagnostics: Array<{ code: string }> }>; codeCheck: Array<{ diagnostics: Array<{ code: string; message: string; file: string; line: number; col: number }> }> };
    assert.ok(!report.files[0].diagnostics.some((d) => d.code === 'SLO_BUCKET_MISSING'), 'the bucket is there');
    // Scan findings are listed under the scanned directory (also when it is given as `.`).
    const scan = report.codeCheck[0].diagnostics.find((d) => d.code === 'SLO_SCAN');
    assert.ok(scan, appended.stdout);
    assert.equal(`${scan.file}:${scan.line}:${scan.col}`, 'metrics.go:11:11');
    assert.match(scan.message, /the Buckets of "http_server_request_duration_seconds" are not in strictly increasing order: client_golang panics/);
  });

  it('a Node-only option on a Go contract warns, saying what the Go equivalent is (pprof); none once pprof is declared', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'sloctl-go-options-'));
    const text = `apiVersion: sloctl/v1
service: { name: orders, runtime: go }
objectives:
  memory:
    heap: { warn: 256MiB, critical: 512MiB }
    capture: heap-snapshot
  concurrency:
    goroutines: { warn: 500, critical: 1000 }
    eventLoopDelay: { warn: 50ms, critical: 100ms }
`;
    writeFileSync(join(dir, 'slo.yaml'), text);
    const r = await json(dir, []);
    assert.equal(r.code, 0, 'warnings only');
    const gaps = r.diagnostics.filter((d) => d.code === 'SLO_CONTRACT_GAP');
    const capture = gaps.find((d) => /heap-snapshot/.test(d.message));
    assert.ok(capture, JSON.stringify(gaps));
    assert.equal(`${capture.line}:${capture.col}`, '6:5');
    assert.match(capture.message, /`capture: heap-snapshot` is a V8 heap capture \(Node\), and service\.runtime is go/);
    assert.match(capture.hint!, /objectives\.concurrency\.pprof: \/debug\/pprof/);
    const cpu = gaps.find((d) => /cpu-profile/.test(d.message));
    assert.ok(cpu);
    assert.equal(cpu.line, 7, 'at the concurrency section: capture is not written, cpu-profile is the default');
    assert.match(cpu.hint!, /the Go equivalent is the pprof endpoint/);
    const loop = gaps.find((d) => /eventLoopDelay applies to Node services/.test(d.message));
    assert.ok(loop);
    assert.match(loop.hint!, /goroutines \(go_goroutines/);
    const strict = await run(['validate', 'slo.yaml', '--strict'], dir);
    assert.equal(strict.code, 1, '--strict fails on them');

    // With pprof declared and a sampling capture, the Go way is in place: no capture warning.
    writeFileSync(join(dir, 'slo.yaml'), text.replace('capture: heap-snapshot', 'capture: heap-sampling').replace('    eventLoopDelay: { warn: 50ms, critical: 100ms }\n', '    pprof: /debug/pprof\n'));
    const fixed = await json(dir, []);
    assert.deepEqual(fixed.diagnostics.map((d) => d.message), []);
  });

  it('a critical dependency of a contract that maps its metrics but no dependency gauge warns at the dependency: availability leaves its part out (trial report, defect 2)', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'sloctl-dep-gauge-'));
    const text = `apiVersion: sloctl/v1
service: { name: orders, runtime: go }
metrics:
  requestDuration: orders_http_request_duration_seconds
  requests: orders_http_requests_total
  labels: { route: handler, method: method, status: code }
routes:
  - { name: create-order, method: POST, path: /orders, dependencies: [inventory] }
dependencies:
  - { name: inventory, timeout: 100ms, critical: true }
  - { name: pricing, timeout: 50ms, critical: false }
objectives:
  latency:
    - { name: api, threshold: 150ms, objective: 99% }
  errors: { objective: 99.5% }
  availability: { objective: 99.5% }
`;
    writeFileSync(join(dir, 'slo.yaml'), text);
    const r = await json(dir, []);
    assert.equal(r.code, 0, 'a warning');
    const gaps = r.diagnostics.filter((d) => d.code === 'SLO_CONTRACT_GAP');
    assert.equal(gaps.length, 1, JSON.stringify(gaps));
    const [gap] = gaps;
    assert.equal(gap.severity, 'warning');
    assert.equal(`${gap.line}:${gap.col}`, '10:40', 'at `critical` of inventory (pricing is not critical)');
    assert.match(gap.message, /critical dependency "inventory" has no gauge to read whether it is up: the contract maps its metrics \(`metrics\.labels`\) but no `metrics\.dependencyUp`, so availability leaves out its dependencies part \(weight 0\.2\) and renormalises the health, latency and success parts: a down inventory does not lower it/);
    assert.match(gap.hint!, /map it \(`metrics: \{ dependencyUp: <your gauge> \}`\); or accept that availability ignores the dependencies/);
    // The same note from generate.
    const gen = await run(['generate', 'prometheus', 'slo.yaml', '--selector', 'job="orders"'], dir);
    assert.equal(gen.code, 0, gen.stderr);
    assert.match(gen.stderr, /sloctl: note: availability leaves out its dependencies part \(weight 0\.2\): the contract maps no metrics\.dependencyUp gauge for the critical dependency inventory/);
    assert.ok(!gen.stdout.includes('sloctl_dependency_up'), 'the rules do not read a gauge nobody exports');

    // Mapped: measured, no warning.
    writeFileSync(join(dir, 'slo.yaml'), text.replace('  labels: {', '  dependencyUp: inventory_up\n  labels: {'));
    const mapped = await json(dir, []);
    assert.deepEqual(mapped.diagnostics.filter((d) => d.code === 'SLO_CONTRACT_GAP'), []);
    // The SDK's contract (no label mapping): the SDK exports sloctl_dependency_up, no warning.
    writeFileSync(join(dir, 'slo.yaml'), text.replace(/metrics:\n(  .*\n){3}/, ''));
    const sdk = await json(dir, []);
    assert.deepEqual(sdk.diagnostics.filter((d) => d.code === 'SLO_CONTRACT_GAP'), []);
  });
});

describe('validate --staged --project in a monorepo (what a pre-commit hook with the code check runs)', () => {
  const git = (cwd: string, ...args: string[]) => execFileSync('git', args, { cwd, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
  /** Two services (the ts-service fixture twice) and a README, all committed. */
  function monorepo(): string {
    const dir = mkdtempSync(join(tmpdir(), 'sloctl-staged-code-'));
    git(dir, 'init', '-q', '-b', 'main');
    for (const svc of ['svc-a', 'svc-b']) cpSync('test/fixtures/ts-service', join(dir, svc), { recursive: true });
    // Two services, two names: one name twice is an error of its own when both are checked.
    const b = join(dir, 'svc-b', 'slo.yaml');
    writeFileSync(b, readFileSync(b, 'utf8').replace('name: ts-orders', 'name: ts-orders-b'));
    writeFileSync(join(dir, 'README.md'), '# shop\n');
    git(dir, 'add', '.');
    git(dir, '-c', 'user.email=t@example.com', '-c', 'user.name=t', '-c', 'commit.gpgsign=false', 'commit', '-q', '-m', 'init');
    return dir;
  }

  it('nothing a contract reads is staged (a README): the scan is skipped, in one line', async () => {
    const dir = monorepo();
    writeFileSync(join(dir, 'README.md'), '# shop\n\nMore words.\n');
    git(dir, 'add', 'README.md');
    const r = await run(['validate', '--staged', '--project', '.'], dir);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /^ {2}code check: not run, no contract is staged and no code under \. is staged either$/m);
    assert.doesNotMatch(r.stdout, /registered in/, 'the code was not scanned');
  });

  it('code staged, its contract not: the contract that owns the code is checked against it (a renamed metric fails the commit)', async () => {
    const dir = monorepo();
    const metrics = join(dir, 'svc-a', 'src', 'metrics.ts');
    writeFileSync(metrics, readFileSync(metrics, 'utf8').replace("'http_server_requests_total'", "'http_requests_count_total'"));
    git(dir, 'add', 'svc-a/src/metrics.ts');
    const r = await run(['validate', '--staged', '--project', '.'], dir);
    assert.equal(r.code, 1, `${r.stdout}\n${r.stderr}`);
    assert.match(r.stderr, /^svc-a\/slo\.yaml:\d+:\d+: error SLO_METRIC_NOT_REGISTERED: .*`http_server_requests_total`/m);
    assert.match(r.stdout, /svc-a\/slo\.yaml: not staged, checked because the commit changes its code \(svc-a\/src\/metrics\.ts\)/);
    assert.doesNotMatch(r.stdout, /svc-b\/slo\.yaml/, 'svc-b\'s code is unchanged: its contract is not checked');
    // A deleted file is a change too: svc-b's metrics.ts gone, its contract's metrics are registered nowhere in its code.
    git(dir, 'reset', '-q');
    git(dir, 'rm', '-q', 'svc-b/src/metrics.ts');
    const d = await run(['validate', '--staged', '--project', '.'], dir);
    assert.equal(d.code, 1, d.stdout);
    assert.match(d.stdout, /svc-b\/slo\.yaml: not staged, checked because the commit changes its code \(svc-b\/src\/metrics\.ts\)/);
  });

  it('hook install --project: the installed hook runs the code check, refusing a commit that renames a metric the contract reads', () => {
    const dir = monorepo();
    const sloctl = join(process.cwd(), 'bin', 'sloctl.js');
    const out = execFileSync(process.execPath, [sloctl, 'hook', 'install', '--project'], { cwd: join(dir, 'svc-a'), encoding: 'utf8' });
    assert.match(out, /^installed: /);
    assert.match(readFileSync(join(dir, '.git', 'hooks', 'pre-commit'), 'utf8'), /validate --staged --project \./);
    const commit = () => {
      try {
        execFileSync('git', ['-c', 'user.email=t@example.com', '-c', 'user.name=t', '-c', 'commit.gpgsign=false', 'commit', '-q', '-m', 'change'], { cwd: dir, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
        return { ok: true, output: '' };
      } catch (e) {
        const err = e as { stdout: string; stderr: string };
        return { ok: false, output: `${err.stdout}${err.stderr}` };
      }
    };
    const metrics = join(dir, 'svc-a', 'src', 'metrics.ts');
    writeFileSync(metrics, readFileSync(metrics, 'utf8').replace("'http_server_requests_total'", "'http_requests_count_total'"));
    git(dir, 'add', 'svc-a/src/metrics.ts');
    const refused = commit();
    assert.equal(refused.ok, false);
    assert.match(refused.output, /svc-a\/slo\.yaml:\d+:\d+: error SLO_METRIC_NOT_REGISTERED/);
    assert.match(refused.output, /commit refused: fix the contract or code above/);
    // A commit of neither code nor contract goes through (the scan is skipped).
    git(dir, 'reset', '-q', '--hard');
    writeFileSync(join(dir, 'README.md'), '# shop\n\nMore.\n');
    git(dir, 'add', 'README.md');
    assert.equal(commit().ok, true);
    // Installed again without the flag: the hook goes back to the contract alone.
    const again = execFileSync(process.execPath, [sloctl, 'hook', 'install'], { cwd: dir, encoding: 'utf8' });
    assert.match(again, /^installed: /);
    assert.doesNotMatch(readFileSync(join(dir, '.git', 'hooks', 'pre-commit'), 'utf8'), /--project/);
  });

  it('shared code (under no contract) counts for every contract; a contract outside the files named is left out; a bad --project is still said', async () => {
    const dir = monorepo();
    mkdirSync(join(dir, 'lib'));
    writeFileSync(join(dir, 'lib', 'util.ts'), 'export const x = 1;\n');
    git(dir, 'add', 'lib/util.ts');
    const shared = await run(['validate', '--staged', '--project', '.'], dir);
    assert.equal(shared.code, 0, shared.stderr);
    assert.match(shared.stdout, /svc-a\/slo\.yaml: not staged, checked because the commit changes its code \(lib\/util\.ts\)/);
    assert.match(shared.stdout, /svc-b\/slo\.yaml: not staged, checked because the commit changes its code \(lib\/util\.ts\)/);
    const named = await run(['validate', '--staged', 'svc-b', '--project', 'svc-b'], dir);
    assert.match(named.stdout, /code check: not run, no contract is staged and no code under svc-b is staged either/);
    git(dir, 'reset', '-q');
    git(dir, 'add', 'README.md');
    const bad = await run(['validate', '--staged', '--project', 'nowhere'], dir);
    assert.equal(bad.code, 2);
    assert.match(bad.stderr, /--project nowhere: not a directory/);
  });
});

describe('validate --project in a monorepo whose service imports a workspace package', () => {
  it("the package's routes and metrics count for the service that imports it by name", async () => {
    const dir = mkdtempSync(join(tmpdir(), 'sloctl-workspace-'));
    try {
      mkdirSync(join(dir, 'packages', 'lib', 'src'), { recursive: true });
      mkdirSync(join(dir, 'services', 'api', 'src'), { recursive: true });
      writeFileSync(join(dir, 'package.json'), JSON.stringify({ name: 'mono', private: true, workspaces: ['packages/*', 'services/*'] }));
      writeFileSync(join(dir, 'packages', 'lib', 'package.json'), JSON.stringify({ name: '@mono/lib', type: 'module', main: 'dist/index.js' }));
      writeFileSync(join(dir, 'packages', 'lib', 'src', 'index.ts'), "import { Router } from 'express';\nexport const api = Router();\napi.get('/orders', (_req, res) => { res.json([]); });\n");
      writeFileSync(join(dir, 'services', 'api', 'package.json'), JSON.stringify({ name: '@mono/api', type: 'module' }));
      writeFileSync(join(dir, 'services', 'api', 'src', 'server.ts'), "import express from 'express';\nimport { api } from '@mono/lib';\nconst app = express();\napp.use('/v1', api);\napp.get('/health', (_req, res) => { res.send('ok'); });\n");
      writeFileSync(join(dir, 'services', 'api', 'slo.yaml'), 'apiVersion: sloctl/v1\nservice:\n  name: api\n  runtime: node\nroutes:\n  - { name: orders, method: GET, path: /v1/orders }\n  - { name: health, method: GET, path: /health }\n');
      for (const project of ['services/api', '.']) {
        const r = await run(['validate', 'services/api/slo.yaml', '--project', project, '--strict'], dir);
        assert.equal(r.code, 0, `--project ${project}: ${r.stdout}${r.stderr}`);
        assert.match(r.stdout, /route check \(services\/api\/slo\.yaml\): 2\/2 contract routes found among 2 registered under services\/api; 0 registered routes not in the contract/);
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
