// The dependencies a service names through sloctl's SDK, as the code check finds them: Node
// `sdk.dependency('payments')` (src/scan/ts-sdk-dependencies.ts) and Go `sdk.MustDependency("x")`
// (src/scan/go-sdk-dependencies.ts). Only calls on a value that is sloctl's SDK count; a name
// computed at run time is a warning, never a guess.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { scanGoModule } from '../src/scan/go.ts';
import { scanTypeScriptSource } from '../src/scan/ts-file.ts';
import { scanTypeScriptProject } from '../src/scan/typescript.ts';
import type { ScanResult } from '../src/scan/types.ts';
import { writeProject } from './helpers/project.ts';

/** `name @ line:col` of each dependency one TypeScript file names through the SDK. */
function namedIn(source: string, file = 'service.ts'): string[] {
  const scan = scanTypeScriptSource(file, source);
  return (scan.sdkDependencies?.dependencies ?? []).map((d) => `${d.name} @ ${d.line}:${d.col}`);
}

const named = (r: ScanResult) => r.sdkDependencies.map((d) => `${d.file}:${d.line}:${d.col} ${d.name}`);

describe('the code check: dependencies named through the Node SDK', () => {
  it("finds sdk.dependency('x') on what instrument() returns, at the name, in every way the SDK value is reached", () => {
    const source = [
      "import { instrument, type Sdk } from 'sloctl/sdk';", // 1
      "import * as s from 'sloctl/sdk';",
      "const sdk = instrument('slo.yaml');",
      "sdk.dependency('payments').breaker(b);", // 4: col 16
      "const PAYMENTS = 'ledger';",
      'sdk.dependency(PAYMENTS);', // 6: a const of a literal
      "s.instrument({ contract: 'slo.yaml' }).dependency('direct');", // 7: in place, through the namespace
      "function wire(h: Sdk) { h.dependency('typed'); }", // 8: a parameter typed Sdk
      'class Api {',
      "  constructor(private readonly inst: Sdk) { this.inst.dependency('field'); }", // 10: a parameter property
      "  #own = instrument('slo.yaml');",
      "  go() { this.#own.dependency('private'); }", // 12
      '}',
      'const alias = sdk;',
      "alias.dependency('aliased');", // 15
    ].join('\n');
    assert.deepEqual(namedIn(source), ['payments @ 4:16', 'ledger @ 6:16', 'direct @ 7:51', 'typed @ 8:38', 'field @ 10:66', 'private @ 12:31', 'aliased @ 15:18']);
    const first = scanTypeScriptSource('service.ts', source).sdkDependencies!.dependencies[0];
    assert.equal(first.call, "sdk.dependency('payments')");
    assert.equal(first.via, 'instrument() from sloctl/sdk');
  });

  it('also through require, `this.sdk = instrument()`, and the Fastify plugin\'s `sloctl` decoration', () => {
    const cjs = "const { instrument } = require('sloctl/sdk');\nclass S { start() { this.sdk = instrument('slo.yaml'); this.sdk.dependency('cjs'); } }\n";
    assert.deepEqual(namedIn(cjs, 'service.js'), ['cjs @ 2:76']);
    const fastify = "import sloctl from 'sloctl/sdk/fastify';\napp.get('/x', async (req) => req.server.sloctl.dependency('decorated').useFallback);\n";
    assert.deepEqual(namedIn(fastify), ['decorated @ 2:59']);
  });

  it('does not count a .dependency() call on anything else, even in a file that uses the SDK', () => {
    const source = [
      "import { instrument } from 'sloctl/sdk';",
      "import { instrument as other } from './di.ts';",
      "const sdk = instrument('slo.yaml');",
      "container.dependency('db');", // a DI container
      "other('x').dependency('not-sdk');", // another instrument()
      "sdk.dependency('a', 'b');", // not the SDK's signature
    ].join('\n');
    assert.deepEqual(namedIn(source), []);
    // No SDK in the file at all: a `sdk` of unknown origin is not guessed to be sloctl's.
    assert.equal(scanTypeScriptSource('x.ts', "sdk.dependency('payments');\n").sdkDependencies?.dependencies.length ?? 0, 0);
  });

  it('a name computed at run time is a warning at the argument, not a dependency', () => {
    const source = "import { instrument } from 'sloctl/sdk';\nconst sdk = instrument('slo.yaml');\nfor (const name of names) sdk.dependency(name);\n";
    const scan = scanTypeScriptSource('service.ts', source);
    assert.deepEqual(scan.sdkDependencies?.dependencies, []);
    assert.deepEqual(scan.warnings.map((w) => `${w.line}:${w.col} ${w.message}`), [
      "3:42 `sdk.dependency(name)`: the dependency's name is computed at run time, so sloctl cannot check that the contract declares it (the SDK refuses an undeclared name when the service starts); write it as a string literal or a `const` of one",
    ]);
  });

  it('notes a read of useFallback on the handle (the SDK turns it on only for a non-critical dependency)', () => {
    const source = "import { instrument } from 'sloctl/sdk';\nconst sdk = instrument('slo.yaml');\nconst rec = sdk.dependency('recommendations');\nsdk.dependency('payments');\nif (rec.useFallback) skip();\n";
    const deps = scanTypeScriptSource('service.ts', source).sdkDependencies!.dependencies;
    assert.deepEqual(deps.map((d) => [d.name, d.fallback ? `${d.fallback.line}:${d.fallback.col}` : undefined]), [['recommendations', '5:5'], ['payments', undefined]]);
  });

  it('follows an SDK value exported by another file of the project, and only an SDK value', async () => {
    const dir = writeProject({
      'src/instrumentation.ts': "import { instrument } from 'sloctl/sdk';\nexport const sdk = instrument('slo.yaml');\nexport const registry = makeRegistry();\n",
      'src/handlers.ts': "import { sdk, registry } from './instrumentation.js';\nsdk.dependency('payments');\nregistry.dependency('not-sdk');\n",
      'src/default.ts': "import theSdk from './made.ts';\ntheSdk.dependency('inventory');\n",
      'src/made.ts': "import { instrument } from 'sloctl/sdk';\nconst s = instrument('slo.yaml');\nexport default s;\n",
    });
    const r = await scanTypeScriptProject(dir);
    assert.deepEqual(named(r), ['src/default.ts:2:19 inventory', 'src/handlers.ts:2:16 payments']);
    assert.equal(r.sdkDependencies[1].via, 'sdk exported by ./instrumentation.js');
  });

  it('keeps a readable name on a receiver it does not follow apart (unfollowed), with or without the SDK in the file; a computed one is a warning tagged as a dependency name', async () => {
    const dir = writeProject({
      'src/main.ts': "import { instrument } from 'sloctl/sdk';\nimport { registry } from './registry.ts';\nconst sdk = instrument('slo.yaml');\nsdk.dependency('payments');\nwire(sdk);\nregistry.dependency('ledger');\nsdk.dependency(process.env.DEP);\n",
      // Plain JavaScript that gets the SDK as an untyped parameter: no import of sloctl/sdk here.
      'src/wire.js': "export function wire(sdk) {\n  sdk.dependency('recommendations').breaker(b);\n  sdk.dependency(name);\n}\n",
      'src/registry.ts': 'export const registry = makeRegistry();\n',
    });
    const r = await scanTypeScriptProject(dir);
    assert.deepEqual(named(r), ['src/main.ts:4:16 payments']);
    assert.deepEqual(r.unfollowedDependencyCalls.map((d) => `${d.file}:${d.line}:${d.col} ${d.name} ${d.call}`), [
      "src/main.ts:6:21 ledger registry.dependency('ledger')",
      "src/wire.js:2:18 recommendations sdk.dependency('recommendations')",
    ]);
    assert.deepEqual(r.warnings.filter((w) => w.about === 'sdk-dependency').map((w) => `${w.file}:${w.line}:${w.col}`), ['src/main.ts:7:16']);
  });
});

describe('the code check: dependencies named through the Go SDK', () => {
  const GO_MOD = 'module example.com/orders\n\ngo 1.22\n';

  it('finds Dependency / MustDependency on sloctl.New\'s result, a *sloctl.SDK parameter or struct field, across the package\'s files', async () => {
    const dir = writeProject({
      'go.mod': GO_MOD,
      'main.go': [
        'package main', // 1
        '',
        'import sl "github.com/sloctl/sloctl-go/sloctl"',
        '',
        'const inventory = "inventory"',
        '',
        'func main() {',
        '\tsdk, _ := sl.New(nil, sl.Options{})',
        '\tsdk.MustDependency(inventory).Check(nil, 0)', // 9: a constant
        '\tsrv := &server{sdk: sdk}',
        '\tsrv.wire()',
        '}',
      ].join('\n'),
      'server.go': [
        'package main',
        '',
        'import "github.com/sloctl/sloctl-go/sloctl"',
        '',
        'type server struct{ sdk *sloctl.SDK }',
        '',
        'func (s *server) wire() { s.sdk.Dependency("payments") }', // 7: a struct field
        '',
        'func attach(h *sloctl.SDK) { h.MustDependency(`search`) }', // 9: a parameter, a raw string
      ].join('\n'),
      'handlers.go': 'package main\n\nfunc use() { srvFrom().sdk.MustDependency("ledger") }\n', // no import: the field is the package's
    });
    const r = await scanGoModule(dir);
    assert.deepEqual(named(r), ['handlers.go:3:43 ledger', 'main.go:9:21 inventory', 'server.go:7:44 payments', 'server.go:9:47 search']);
    assert.deepEqual(r.sdkDependencies.map((d) => d.method), ['MustDependency', 'MustDependency', 'Dependency', 'MustDependency']);
    assert.equal(r.sdkDependencies[1].via, 'the first result of sl.New()');
  });

  it('does not count Dependency calls on anything else, nor in a package that does not hold the SDK', async () => {
    const dir = writeProject({
      'go.mod': GO_MOD,
      'main.go': 'package main\n\nimport "github.com/sloctl/sloctl-go/sloctl"\n\nfunc main() {\n\tsdk, _ := sloctl.New(nil, sloctl.Options{})\n\t_ = sdk\n\tgraph.Dependency("db")\n\tgraph.MustDependency("cache")\n}\n',
      // Another package: its `sdk` is its own (no sloctl import, no SDK value declared there).
      'tools/tools.go': 'package tools\n\nfunc f() { sdk.MustDependency("elsewhere") }\n',
    });
    const r = await scanGoModule(dir);
    assert.deepEqual(named(r), []);
    // Kept apart: a declared name among them may reach the SDK by a way the scan does not follow.
    assert.deepEqual(r.unfollowedDependencyCalls.map((d) => `${d.file}:${d.line}:${d.col} ${d.name} ${d.method}`), [
      'main.go:8:19 db Dependency', 'main.go:9:23 cache MustDependency', 'tools/tools.go:3:31 elsewhere MustDependency',
    ]);
  });

  it('a name computed at run time is a warning at the argument', async () => {
    const dir = writeProject({
      'go.mod': GO_MOD,
      'main.go': 'package main\n\nimport "github.com/sloctl/sloctl-go/sloctl"\n\nfunc main() {\n\tsdk, _ := sloctl.New(nil, sloctl.Options{})\n\tfor _, n := range names {\n\t\tsdk.MustDependency(n)\n\t}\n}\n',
    });
    const r = await scanGoModule(dir);
    assert.deepEqual(named(r), []);
    assert.deepEqual(r.warnings.map((w) => `${w.file}:${w.line}:${w.col} ${w.message}`), [
      "main.go:8:22 `sdk.MustDependency(n)`: the dependency's name is computed at run time, so sloctl cannot check that the contract declares it (the SDK refuses an undeclared name when the service starts); write it as a string literal or a constant",
    ]);
    assert.equal(r.warnings[0].about, 'sdk-dependency');
  });
});
