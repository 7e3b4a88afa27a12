// The layout DESIGN.md asks for, checked on the sources (issue 11's first done-when line): the
// command line sits on top and nothing beneath it imports it; the judges (src/verdicts/) are pure,
// data in and verdict out, so they import no node: module and none of the rooms that do I/O or
// drive a run; the measurement shapes (src/measure/) sit below the load generator and the judges
// alike. Reads the import statements of every file under src/ as text, so a new file cannot slip
// past.
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';

const SRC = fileURLToPath(new URL('../src', import.meta.url));

function sources(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const p = join(dir, e.name);
    if (e.isDirectory()) return sources(p);
    return /\.(ts|mts|mjs|js)$/.test(e.name) ? [p] : [];
  });
}

/** Relative module specifiers a file imports or re-exports (static and dynamic). */
function importsOf(file: string): string[] {
  const text = readFileSync(file, 'utf8');
  const out: string[] = [];
  for (const m of text.matchAll(/(?:^|\n)\s*(?:import|export)\b[^'"`;]*?from\s*['"]([^'"]+)['"]|import\(\s*['"]([^'"]+)['"]\s*\)|(?:^|\n)\s*import\s*['"]([^'"]+)['"]/g)) {
    const spec = m[1] ?? m[2] ?? m[3];
    if (spec) out.push(spec);
  }
  return out;
}

describe('layering', () => {
  it('finds the imports it checks (the reader itself can fail)', () => {
    const main = importsOf(join(SRC, 'cli/main.ts'));
    assert.ok(main.some((s) => s.startsWith('./')), `src/cli/main.ts imports: ${main.join(', ')}`);
    assert.ok(importsOf(join(SRC, 'run/baseline-file.ts')).includes('../files/write-atomically.ts'));
    assert.ok(importsOf(join(SRC, 'run/machine-probe.ts')).includes('node:os'));
  });

  it('nothing under src/ outside src/cli/ imports from src/cli/', () => {
    const cli = join(SRC, 'cli');
    const offenders: string[] = [];
    for (const file of sources(SRC)) {
      if (file.startsWith(cli + '/')) continue;
      for (const spec of importsOf(file)) {
        if (!spec.startsWith('.')) continue;
        const target = resolve(dirname(file), spec);
        if (target === cli || target.startsWith(cli + '/')) offenders.push(`${relative(SRC, file)} imports ${spec}`);
      }
    }
    assert.deepEqual(offenders, [], `the command line sits on top; move what these need below src/cli/:\n${offenders.join('\n')}`);
  });

  /** Every (file, specifier) under ROOM that breaks RULE, as "file imports spec". */
  function offendersIn(room: string, bad: (spec: string, target: string | undefined) => boolean): string[] {
    const dir = join(SRC, room);
    const out: string[] = [];
    for (const file of sources(dir)) {
      for (const spec of importsOf(file)) {
        const target = spec.startsWith('.') ? resolve(dirname(file), spec) : undefined;
        if (bad(spec, target)) out.push(`${relative(SRC, file)} imports ${spec}`);
      }
    }
    return out;
  }
  const inRoom = (target: string | undefined, ...rooms: string[]) =>
    target !== undefined && rooms.some((r) => target === join(SRC, r) || target.startsWith(join(SRC, r) + '/'));

  it('src/verdicts/ imports no node: module, and nothing that runs, measures, reports or commands', () => {
    assert.ok(sources(join(SRC, 'verdicts')).length >= 10, 'the judges live in src/verdicts/');
    const offenders = offendersIn('verdicts', (spec, target) =>
      spec.startsWith('node:') || ['fs', 'os', 'path', 'net', 'http', 'child_process', 'undici'].includes(spec) ||
      inRoom(target, 'cli', 'run', 'report', 'gate', 'load', 'sdk', 'observe', 'faults', 'files'));
    assert.deepEqual(offenders, [], `judging is data in, verdict out; move the I/O to src/run/:\n${offenders.join('\n')}`);
  });

  it('src/measure/ sits below the load generator, the SDK and the judges', () => {
    const offenders = offendersIn('measure', (spec, target) => spec.startsWith('node:') || (spec.startsWith('.') && !inRoom(target, 'measure')));
    assert.deepEqual(offenders, [], offenders.join('\n'));
  });

  it('the report room renders verdicts and does not judge or run anything', () => {
    const offenders = offendersIn('report', (_spec, target) => inRoom(target, 'cli', 'run', 'gate', 'load', 'sdk', 'observe', 'faults'));
    assert.deepEqual(offenders, [], offenders.join('\n'));
  });
});
