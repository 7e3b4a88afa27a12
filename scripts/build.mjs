#!/usr/bin/env node
// `npm run build`: src/ compiled by tsc (tsconfig.build.json) into a fresh dist/, the JavaScript
// and declarations that the package ships and bin/sloctl.js runs. `npm test`, `npm run demo` and
// `npm pack` (prepack) run it first, so what they exercise is what users install.
import { spawnSync } from 'node:child_process';
import { rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const require = createRequire(import.meta.url);
rmSync(new URL('../dist', import.meta.url), { recursive: true, force: true });
const tsc = join(dirname(require.resolve('typescript/package.json')), 'bin', 'tsc');
const r = spawnSync(process.execPath, [tsc, '-p', 'tsconfig.build.json'], { cwd: root, stdio: 'inherit' });
if (r.status !== 0) {
  console.error('sloctl build: tsc failed (see above); dist/ is incomplete');
  process.exit(r.status ?? 1);
}
