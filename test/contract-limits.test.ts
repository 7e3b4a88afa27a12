// Hostile and huge contracts: validation stays linear in the number of findings, and files too
// large, too deep or too aliased get one clear located finding instead of a hang, a crash or a
// gigabyte of memory (issue 15, items 3, 4 and 11).
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, truncateSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { runCli } from './helpers/cli.ts';
import { MAX_ALIASES, MAX_CONTRACT_BYTES, MAX_NESTING, parseContract } from '../src/contract/load.ts';
import { renderDiagnostic } from '../src/contract/render.ts';

const HEAD = 'apiVersion: sloctl/v1\nservice:\n  name: orders\n';
const EXAMPLE = readFileSync('examples/checkout/slo.yaml', 'utf8');

/** A contract whose `service` mapping has `n` keys it does not know: `n` findings. */
function unknownKeys(n: number): string {
  const lines = [HEAD.trimEnd()];
  for (let i = 0; i < n; i++) lines.push(`  k${i}: v`);
  return `${lines.join('\n')}\n`;
}

/** CPU milliseconds of fn, the best of `runs` (CPU time, so a busy machine does not stretch it). */
function cpuMs(fn: () => void, runs: number): number {
  let best = Infinity;
  for (let i = 0; i < runs; i++) {
    const start = process.cpuUsage();
    fn();
    const used = process.cpuUsage(start);
    best = Math.min(best, (used.user + used.system) / 1000);
  }
  return best;
}

async function validate(args: string[], cwd: string) {
  return runCli(['validate', ...args], cwd);
}

const dir = mkdtempSync(join(tmpdir(), 'sloctl-limits-'));
after(() => rmSync(dir, { recursive: true, force: true }));

describe('validation is linear in the number of findings', () => {
  it('locating and rendering 20,000 findings costs about 4x 5,000 (was about 18x: quadratic)', () => {
    const measure = (n: number, runs: number) => {
      const text = unknownKeys(n);
      let count = 0;
      const ms = cpuMs(() => {
        const loaded = parseContract(text, 'slo.yaml');
        const sources = new Map([['slo.yaml', text]]);
        count = 0;
        for (const d of loaded.diagnostics) if (renderDiagnostic(d, { sources }).includes('SLO_UNKNOWN_KEY')) count++;
      }, runs);
      assert.equal(count, n, 'one located, rendered finding per unknown key');
      return ms;
    };
    measure(1000, 1); // warm the JIT, so the small size is not charged for compiling
    const small = measure(5000, 3);
    const large = measure(20_000, 2);
    // Linear is 4x; quadratic was 16x and more. 8x leaves room for GC and a noisy machine.
    assert.ok(large < small * 8, `5,000 findings took ${small.toFixed(0)} ms of CPU, 20,000 took ${large.toFixed(0)} ms: ${(large / small).toFixed(1)}x for 4x the findings`);
  });

  it('so do the semantic checks: 4,000 routes with 8,000 bad references cost about 4x 1,000 with 2,000', () => {
    const contract = (n: number) => {
      const lines = ['apiVersion: sloctl/v1', 'service: {name: orders}', 'routes:'];
      for (let i = 0; i < n; i++) lines.push(`  - {name: route-${i}, method: GET, path: /r${i}, dependencies: [dep-${i}]}`);
      lines.push('load:', '  rate: 100/s', '  duration: 30s', '  mix:');
      for (let i = 0; i < n; i++) lines.push(`    - {route: other-${i}, weight: 1}`);
      return `${lines.join('\n')}\n`;
    };
    const measure = (n: number, runs: number) => {
      const text = contract(n);
      let errors: ReturnType<typeof parseContract>['diagnostics'] = [];
      const ms = cpuMs(() => { errors = parseContract(text, 'slo.yaml').diagnostics; }, runs);
      assert.equal(errors.length, 2 * n);
      assert.ok(errors.every((d) => d.code === 'SLO_UNKNOWN_REFERENCE'));
      return { ms, errors };
    };
    measure(200, 1); // warm up
    const small = measure(1000, 3);
    const large = measure(4000, 2);
    assert.ok(large.ms < small.ms * 8, `1,000 routes took ${small.ms.toFixed(0)} ms of CPU, 4,000 took ${large.ms.toFixed(0)} ms`);
    // The hint stays one line: the first names and how many more.
    assert.match(large.errors.at(-1)!.hint ?? '', /^declared: route-0, route-1, .*, route-9 and 3990 more$/);
  });

  it('`sloctl validate` of a file with 50,000 unknown keys takes well under 5 s, prints the finding once with its places, and counts them all', async () => {
    writeFileSync(join(dir, 'huge.yaml'), unknownKeys(50_000));
    let r: Awaited<ReturnType<typeof validate>> | undefined;
    const start = process.cpuUsage();
    r = await validate(['huge.yaml'], dir);
    const used = process.cpuUsage(start);
    const ms = (used.user + used.system) / 1000;
    assert.ok(ms < 5000, `took ${ms.toFixed(0)} ms of CPU`);
    assert.equal(r.code, 1);
    // One finding, 50,000 places: printed once, with the first 50 other places and a count.
    assert.equal(r.stderr.match(/^huge\.yaml:\d+:\d+: error SLO_UNKNOWN_KEY/gm)?.length, 1);
    assert.match(r.stderr, /^ {2}the same for 49999 more: `k1` \(\d+:3\), `k2` \(\d+:3\), .*`k50` \(\d+:3\), and 49949 more$/m);
    assert.ok(r.stderr.length < 10_000, `${r.stderr.length} characters of findings`);
    assert.match(r.stdout, /✗ huge\.yaml: 50000 errors/);
    assert.match(r.stdout, /invalid: 1 file, 50000 errors/);
  });

  it('--format json lists every finding, beyond the 200 the text prints', async () => {
    writeFileSync(join(dir, 'many.yaml'), unknownKeys(300));
    const r = await validate(['many.yaml', '--format', 'json'], dir);
    assert.equal(r.code, 1);
    const report = JSON.parse(r.stdout);
    assert.equal(report.files[0].diagnostics.length, 300);
    assert.equal(report.summary.errors, 300);
    assert.deepEqual(report.files[0].diagnostics.at(-1).path, ['service', 'k299']);
    assert.equal(report.files[0].diagnostics.at(-1).line, 303);
  });

  it('a finding far along one long line quotes a window around it, with the caret under the key', () => {
    const keys = Array.from({ length: 20_000 }, (_, i) => `k${i}: v`).join(', ');
    const text = `apiVersion: sloctl/v1\nservice: {name: a, ${keys}}\n`;
    const loaded = parseContract(text, 'slo.yaml');
    assert.equal(loaded.diagnostics.length, 20_000);
    const last = loaded.diagnostics.at(-1)!;
    assert.equal(last.line, 2);
    assert.ok(last.col > 200_000, String(last.col));
    const [, , quoted, caret] = renderDiagnostic(last, { sources: new Map([['slo.yaml', text]]) }).split('\n');
    assert.ok(quoted.length < 260, `the quoted line is a window, not ${quoted.length} characters`);
    assert.ok(caret.length < 260, 'the caret line is short too');
    const at = caret.indexOf('^');
    assert.equal(quoted.slice(at, at + 'k19999'.length), 'k19999');
  });

  it('duplicate keys are found in one pass, each with where the first one is', () => {
    const text = `${unknownKeys(20_000)}  k0: again\n  k19999: again\n`;
    const errors = parseContract(text, 'slo.yaml').diagnostics;
    assert.deepEqual(errors.map((d) => `${d.line}:${d.col} ${d.code} ${d.message}`), [
      '20004:3 SLO_YAML_SYNTAX duplicate key `k0` (first at line 4): keys must be unique in a mapping',
      '20005:3 SLO_YAML_SYNTAX duplicate key `k19999` (first at line 20003): keys must be unique in a mapping',
    ]);
  });
});

describe('input bounds', () => {
  it(`a contract over ${MAX_CONTRACT_BYTES} bytes is refused before parsing, with its size and the limit; one at the limit is read`, () => {
    const pad = (total: number) => {
      const body = `${EXAMPLE}#`;
      return `${body}${'x'.repeat(total - Buffer.byteLength(body) - 1)}\n`;
    };
    const atLimit = pad(MAX_CONTRACT_BYTES);
    assert.equal(Buffer.byteLength(atLimit), MAX_CONTRACT_BYTES);
    const ok = parseContract(atLimit, 'slo.yaml');
    assert.ok(ok.contract, JSON.stringify(ok.diagnostics.slice(0, 2)));
    const over = parseContract(pad(MAX_CONTRACT_BYTES + 1), 'slo.yaml');
    assert.equal(over.contract, undefined);
    assert.deepEqual(over.diagnostics.map((d) => [d.code, d.line, d.col]), [['SLO_TOO_LARGE', 1, 1]]);
    assert.match(over.diagnostics[0].message, /^the file is 1 MiB; sloctl reads contract files of at most 1 MiB \(a real slo\.yaml is a few KB\)$/);
    assert.match(over.diagnostics[0].hint ?? '', /right file/);
    // Bytes, not characters: 400,000 three-byte characters are 1.2 MB.
    assert.equal(parseContract(`${HEAD}  description: "${'€'.repeat(400_000)}"\n`, 'slo.yaml').diagnostics[0].code, 'SLO_TOO_LARGE');
  });

  it('`sloctl validate` of a 50 MB file answers at once from its size, without reading it', async () => {
    const file = join(dir, 'big.yaml');
    writeFileSync(file, `${HEAD}  description: `);
    truncateSync(file, 50 * 1024 * 1024); // sparse: 50 MiB that were never written
    const start = process.cpuUsage();
    const r = await validate(['big.yaml'], dir);
    const used = process.cpuUsage(start);
    assert.equal(r.code, 1);
    assert.match(r.stderr, /^big\.yaml:1:1: error SLO_TOO_LARGE: the file is 50 MiB; sloctl reads contract files of at most 1 MiB/);
    assert.match(r.stderr, /hint: check that this is the right file/);
    assert.ok((used.user + used.system) / 1000 < 1000, 'a 50 MB file costs no parsing');
    const json = JSON.parse((await validate(['big.yaml', '--format', 'json'], dir)).stdout);
    assert.equal(json.files[0].diagnostics[0].code, 'SLO_TOO_LARGE');
  });

  it('a description over 4096 characters is refused where it is, with its length and the bound', () => {
    const at = (n: number) => parseContract(EXAMPLE.replace(/^  description: .*$/m, `  description: ${'d'.repeat(n)}`), 'slo.yaml');
    assert.ok(at(1).contract);
    assert.ok(at(4096).contract, 'a 4096-character description is fine');
    const errors = at(4097).diagnostics;
    assert.equal(errors.length, 1);
    const line = EXAMPLE.split('\n').findIndex((l) => l.startsWith('  description: ')) + 1;
    assert.equal(`${errors[0].line}:${errors[0].col}`, `${line}:16`);
    assert.deepEqual(errors[0].path, ['service', 'description']);
    assert.match(errors[0].message, /^the description is 4097 characters long; at most 4096 are allowed: keep it to a paragraph and link to longer documents/);
  });

  it(`refuses a "billion laughs" file at its first alias, saying why; a few aliases are fine (maxAliasCount ${MAX_ALIASES})`, () => {
    const bomb = [HEAD.trimEnd(), 'a: &a [x, x, x, x, x, x, x, x, x, x]'];
    for (let i = 0; i < 9; i++) {
      const prev = String.fromCharCode(97 + i);
      const next = String.fromCharCode(98 + i);
      bomb.push(`${next}: &${next} [${Array(10).fill(`*${prev}`).join(', ')}]`); // 10^10 x's expanded
    }
    const start = process.cpuUsage();
    const errors = parseContract(bomb.join('\n'), 'slo.yaml').diagnostics;
    assert.ok(process.cpuUsage(start).user < 2_000_000, 'refused without expanding');
    assert.equal(errors.length, 1);
    assert.equal(errors[0].code, 'SLO_YAML_SYNTAX');
    assert.equal(`${errors[0].line}:${errors[0].col}`, '5:8');
    assert.match(errors[0].message, /aliases \(\*name\) in this file expand to more than 100 copies, .*"billion laughs"/);
    // Ordinary use of anchors: one value written once, used three times.
    const anchored = EXAMPLE.replace('threshold: 200ms', 'threshold: &t 200ms');
    assert.notEqual(anchored, EXAMPLE);
    const reused = `${anchored.trimEnd()}\nx-note: [*t, *t, *t]\n`;
    const d = parseContract(reused, 'slo.yaml').diagnostics;
    assert.deepEqual(d.map((x) => x.code), ['SLO_UNKNOWN_KEY'], 'only the extra key is a finding');
  });
});

describe(`nesting deeper than ${MAX_NESTING} levels`, () => {
  const deep: Array<[string, string, string]> = [
    ['10,000 flow lists', `${HEAD}  labels: ${'['.repeat(10_000)}${']'.repeat(10_000)}\n`, `4:${11 + MAX_NESTING - 2}`],
    ['100,000 flow mappings', `${HEAD}x: ${'{a: '.repeat(100_000)}1${'}'.repeat(100_000)}\n`, `4:${4 + (MAX_NESTING - 1) * 4}`],
    ['10,000 block sequence items on one line', `${HEAD}x:\n  ${'- '.repeat(10_000)}1\n`, `5:${3 + (MAX_NESTING - 1) * 2}`],
    ['500 indented block mappings', `${HEAD}${Array.from({ length: 500 }, (_, i) => `${' '.repeat(i * 2)}a${i}:`).join('\n')} 1\n`, `${4 + MAX_NESTING}:${MAX_NESTING * 2 + 1}`], // a0 is a top-level key: a64 opens level 65
  ];
  for (const [what, text, where] of deep) {
    it(`${what}: one located SLO_TOO_DEEP, not "Maximum call stack size exceeded"`, () => {
      const errors = parseContract(text, 'slo.yaml').diagnostics;
      assert.deepEqual(errors.map((d) => `${d.line}:${d.col} ${d.code}`), [`${where} SLO_TOO_DEEP`]);
      assert.match(errors[0].message, /^mappings and lists nest more than 64 levels deep here/);
    });
  }

  it(`${MAX_NESTING} levels are read; ${MAX_NESTING + 1} are not`, () => {
    // The top-level mapping is level 1, load 2, load.mix 3, a mix entry 4: a request body of 60
    // nested lists reaches level 64.
    const body = (n: number) => EXAMPLE.replace('body: { productId: 42, quantity: 1 }', `body: ${'['.repeat(n)}${']'.repeat(n)}`);
    assert.notEqual(body(1), EXAMPLE);
    const ok = parseContract(body(MAX_NESTING - 4), 'slo.yaml');
    assert.ok(ok.contract, JSON.stringify(ok.diagnostics.slice(0, 2)));
    const over = parseContract(body(MAX_NESTING - 3), 'slo.yaml');
    assert.deepEqual(over.diagnostics.map((d) => d.code), ['SLO_TOO_DEEP']);
  });

  it('through `sloctl validate`: exit 1 and the located message', async () => {
    writeFileSync(join(dir, 'deep.yaml'), deep[0][1]);
    const r = await validate(['deep.yaml'], dir);
    assert.equal(r.code, 1);
    assert.match(r.stderr, /^deep\.yaml:4:\d+: error SLO_TOO_DEEP: mappings and lists nest more than 64 levels deep here; a contract needs fewer than 10/);
    assert.doesNotMatch(r.stderr, /call stack/);
  });
});
