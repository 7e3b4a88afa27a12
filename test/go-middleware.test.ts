// The Go middleware's own tests (go/: the classifier, the route matcher, net/http, gin and echo),
// run with Debian's Go in GOPATH mode against /usr/share/gocode, counted by Node's runner: the
// file fails when `go vet` or `go test` does, with go's output. Also: the contract JSON the Go
// tests read (go/sloctl/testdata/contract.json) is what `sloctl generate contract` writes today.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { generateContract, goWork, ROOT } from './fixtures/go-middleware-service/harness.ts';

describe('go/: the Go middleware package', { timeout: 240_000 }, () => {
  it('go vet and go test ./... pass in GOPATH mode (core, sloctlgin, sloctlecho)', (t) => {
    const w = goWork(t);
    if (!w) return;
    // -stdmethods=false: Go 1.19's vet wants Unwrap() error only; Unwrap() []error is Go 1.20's
    // multi-error interface, which the classifier walks and its tests use on purpose.
    const vet = spawnSync(w.go, ['vet', '-stdmethods=false', './...'], { cwd: w.pkg, encoding: 'utf8', env: { ...w.env, PWD: w.pkg } });
    assert.equal(vet.status, 0, `go vet failed:\n${vet.stdout}${vet.stderr}`);
    const test = spawnSync(w.go, ['test', '-count=1', '-v', './...'], { cwd: w.pkg, encoding: 'utf8', env: { ...w.env, PWD: w.pkg }, timeout: 100_000 });
    const out = `${test.stdout}${test.stderr}`;
    assert.equal(test.status, 0, `go test failed:\n${out}`);
    for (const pkg of ['sloctl', 'sloctlgin', 'sloctlecho']) assert.match(out, new RegExp(`^ok\\s+github.com/sloctl/sloctl-go/${pkg}\\s`, 'm'), `${pkg} was tested:\n${out}`);
    const passed = out.match(/^--- PASS: /gm)?.length ?? 0;
    t.diagnostic(`${passed} Go tests passed`);
    assert.ok(passed >= 6, out);
  });

  it('the core package imports only the standard library and client_golang (gin and echo stay in their adapters)', (t) => {
    const w = goWork(t);
    if (!w) return;
    const list = spawnSync(w.go, ['list', '-deps', '-f', '{{if not .Standard}}{{.ImportPath}}{{end}}', './sloctl'], { cwd: w.pkg, encoding: 'utf8', env: { ...w.env, PWD: w.pkg } });
    assert.equal(list.status, 0, list.stderr);
    const deps = list.stdout.split('\n').filter(Boolean);
    const foreign = deps.filter((d) => !d.startsWith('github.com/sloctl/sloctl-go/sloctl') && !/^github.com\/(prometheus|beorn7|cespare|golang\/protobuf|matttproud)\/|^google.golang.org\/protobuf|^golang.org\/x\/sys/.test(d));
    assert.deepEqual(foreign, [], `non-client_golang dependencies of the core package: ${foreign.join(', ')}`);
  });

  it('go/sloctl/testdata/contract.json is what `sloctl generate contract` writes for the conformance contract', async (t) => {
    const { mkdtempSync } = await import('node:fs');
    const { tmpdir } = await import('node:os');
    const out = join(mkdtempSync(join(tmpdir(), 'sloctl-contract-json-')), 'contract.json');
    await generateContract(join(ROOT, 'test/sdk/fixtures/slo.yaml'), out);
    const fresh = JSON.parse(readFileSync(out, 'utf8')) as Record<string, unknown>;
    const kept = JSON.parse(readFileSync(join(ROOT, 'go/sloctl/testdata/contract.json'), 'utf8')) as Record<string, unknown>;
    delete fresh.source;
    delete kept.source;
    assert.deepEqual(kept, fresh, 'regenerate: cd test/sdk/fixtures && sloctl generate contract slo.yaml -o ../../../go/sloctl/testdata/contract.json');
    t.diagnostic(`buckets ${(fresh.bucketsMs as number[]).join(', ')} ms`);
  });
});
