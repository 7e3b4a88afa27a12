// Property: whatever is done to a valid contract, validate never throws, and every outcome is
// either a valid contract or at least one located error inside the file.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { parseDocument, stringify } from 'yaml';
import { parseContract } from '../src/contract/load.ts';
import { renderDiagnostic } from '../src/contract/render.ts';

const exampleText = readFileSync('examples/checkout/slo.yaml', 'utf8');
const example = parseDocument(exampleText).toJS() as Record<string, unknown>;

type Json = unknown;

/** Every path to a value in a JSON-like tree. */
function paths(value: Json, prefix: Array<string | number> = []): Array<Array<string | number>> {
  const out: Array<Array<string | number>> = [prefix];
  if (Array.isArray(value)) value.forEach((v, i) => out.push(...paths(v, [...prefix, i])));
  else if (value && typeof value === 'object') for (const [k, v] of Object.entries(value)) out.push(...paths(v, [...prefix, k]));
  return out;
}
const ALL_PATHS = paths(example).filter((p) => p.length > 0);

function clone<T>(v: T): T {
  return structuredClone(v);
}

function parentOf(root: Json, path: Array<string | number>): { parent: any; key: string | number } {
  let node: any = root;
  for (const seg of path.slice(0, -1)) node = node[seg];
  return { parent: node, key: path[path.length - 1] };
}

const replacement = fc.oneof(
  fc.constant(null),
  fc.boolean(),
  fc.integer({ min: -1e6, max: 1e6 }),
  fc.double({ noNaN: false }),
  fc.string({ maxLength: 12 }),
  fc.constantFrom('150%', '-5%', '0%', '100%', '5 minutes', '0ms', '1h1h', '1e309s', '200/s', '0/s', '1.2GiB', 'NaN', '', '\u0000', '%', '99.5%%'),
  fc.array(fc.string({ maxLength: 4 }), { maxLength: 3 }),
  fc.dictionary(fc.string({ maxLength: 6 }), fc.string({ maxLength: 6 }), { maxKeys: 3 }),
);

type Mutation =
  | { kind: 'delete'; path: number }
  | { kind: 'duplicate'; path: number }
  | { kind: 'retype'; path: number; value: Json }
  | { kind: 'rename'; path: number; key: string }
  | { kind: 'reorder'; path: number; seed: number };

const mutation: fc.Arbitrary<Mutation> = fc.oneof(
  fc.record({ kind: fc.constant('delete' as const), path: fc.nat(ALL_PATHS.length - 1) }),
  fc.record({ kind: fc.constant('duplicate' as const), path: fc.nat(ALL_PATHS.length - 1) }),
  fc.record({ kind: fc.constant('retype' as const), path: fc.nat(ALL_PATHS.length - 1), value: replacement }),
  fc.record({ kind: fc.constant('rename' as const), path: fc.nat(ALL_PATHS.length - 1), key: fc.string({ maxLength: 10 }) }),
  fc.record({ kind: fc.constant('reorder' as const), path: fc.nat(ALL_PATHS.length - 1), seed: fc.nat() }),
);

function apply(root: Json, m: Mutation): void {
  const path = ALL_PATHS[m.path];
  let target;
  try {
    target = parentOf(root, path);
  } catch {
    return; // an earlier mutation removed the ancestors
  }
  const { parent, key } = target;
  if (parent === null || typeof parent !== 'object' || !(key in parent)) return;
  switch (m.kind) {
    case 'delete':
      if (Array.isArray(parent)) parent.splice(key as number, 1);
      else delete parent[key];
      break;
    case 'duplicate':
      if (Array.isArray(parent)) parent.push(clone(parent[key as number]));
      else parent[`${String(key)}_copy`] = clone(parent[key]);
      break;
    case 'retype':
      parent[key] = m.value;
      break;
    case 'rename':
      if (!Array.isArray(parent)) {
        parent[m.key] = parent[key];
        if (m.key !== key) delete parent[key];
      }
      break;
    case 'reorder': {
      const v = parent[key];
      if (v && typeof v === 'object' && !Array.isArray(v)) {
        const entries = Object.entries(v);
        entries.sort((a, b) => ((a[0].length * 31 + m.seed) % 7) - ((b[0].length * 31 + m.seed) % 7));
        parent[key] = Object.fromEntries(entries);
      } else if (Array.isArray(v)) v.reverse();
      break;
    }
  }
}

function assertOutcome(text: string): void {
  const lineCount = text.split(/\r?\n/).length;
  const r = parseContract(text, 'fuzz.yaml');
  const errors = r.diagnostics.filter((d) => d.severity === 'error');
  if (r.contract === undefined) assert.ok(errors.length > 0, 'no contract and no error');
  for (const d of r.diagnostics) {
    assert.ok(Number.isInteger(d.line) && d.line >= 1 && d.line <= lineCount + 1, `line ${d.line} outside the file (${lineCount} lines)`);
    assert.ok(Number.isInteger(d.col) && d.col >= 1, `col ${d.col}`);
    assert.ok(d.message.length > 0 && !d.message.includes('[object Object]'), d.message);
    // Rendering with the source must not throw either.
    renderDiagnostic(d, { sources: new Map([['fuzz.yaml', text]]) });
  }
}

describe('validate never throws (fast-check)', () => {
  it('structural mutations: delete, duplicate, retype, rename, reorder', () => {
    fc.assert(
      fc.property(fc.array(mutation, { minLength: 1, maxLength: 4 }), (mutations) => {
        const root = clone(example);
        for (const m of mutations) apply(root, m);
        assertOutcome(stringify(root));
      }),
      { numRuns: 2500 },
    );
  });

  it('text mutations: garbage bytes, truncation, spliced lines', () => {
    const lines = exampleText.split('\n');
    fc.assert(
      fc.property(
        fc.oneof(
          fc.record({ kind: fc.constant('insert' as const), at: fc.nat(exampleText.length), bytes: fc.string({ unit: 'binary', maxLength: 20 }) }),
          fc.record({ kind: fc.constant('truncate' as const), at: fc.nat(exampleText.length) }),
          fc.record({ kind: fc.constant('swap' as const), a: fc.nat(lines.length - 1), b: fc.nat(lines.length - 1) }),
          fc.record({ kind: fc.constant('indent' as const), line: fc.nat(lines.length - 1), by: fc.integer({ min: -4, max: 4 }) }),
        ),
        (m) => {
          let text: string;
          if (m.kind === 'insert') text = exampleText.slice(0, m.at) + m.bytes + exampleText.slice(m.at);
          else if (m.kind === 'truncate') text = exampleText.slice(0, m.at);
          else if (m.kind === 'swap') {
            const l = [...lines];
            [l[m.a], l[m.b]] = [l[m.b], l[m.a]];
            text = l.join('\n');
          } else {
            const l = [...lines];
            l[m.line] = m.by >= 0 ? ' '.repeat(m.by) + l[m.line] : l[m.line].slice(-m.by);
            text = l.join('\n');
          }
          assertOutcome(text);
        },
      ),
      { numRuns: 2500 },
    );
  });

  it('arbitrary YAML-ish documents', () => {
    fc.assert(
      fc.property(fc.jsonValue({ maxDepth: 4 }), (value) => {
        assertOutcome(stringify({ apiVersion: 'sloctl/v1', service: { name: 'x' }, objectives: value }));
        assertOutcome(stringify(value));
      }),
      { numRuns: 1000 },
    );
  });
});
