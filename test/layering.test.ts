// The layout DESIGN.md asks for, checked on the sources: the command line sits on top and nothing
// beneath it imports it (issue 11's first done-when line). Reads the import statements of every
// file under src/ as text, so a new file cannot slip past.
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
    assert.ok(importsOf(join(SRC, 'gate/baseline.ts')).includes('../files/write-atomically.ts'));
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
});
