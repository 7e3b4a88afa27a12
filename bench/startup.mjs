#!/usr/bin/env node
// Start-up of the installed CLI, as whole processes: `npm pack`, the tarball installed with
// --omit=dev into a temporary project (what users get), then hyperfine (Debian's `hyperfine`)
// over `sloctl --version` and `sloctl validate examples/checkout/slo.yaml`, beside Node starting
// an empty script and beside the sources run through tsx (how every start worked before the build).
//
//   node bench/startup.mjs [--runs 30]
//
// Prints hyperfine's Markdown table; record it in bench/RESULTS.md with the date and machine.
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const runs = process.argv.includes('--runs') ? process.argv[process.argv.indexOf('--runs') + 1] : '30';
if (spawnSync('hyperfine', ['--version']).status !== 0) {
  console.error('bench/startup: hyperfine is not installed (apt-get install hyperfine)');
  process.exit(2);
}

const work = mkdtempSync(join(tmpdir(), 'sloctl-startup-'));
try {
  const packed = execFileSync('npm', ['pack', '--silent', '--pack-destination', work], { cwd: root, encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] });
  const tarball = join(work, packed.trim().split('\n').at(-1));
  const app = join(work, 'app');
  mkdirSync(app);
  writeFileSync(join(app, 'package.json'), '{"name":"app","version":"1.0.0","private":true}\n');
  execFileSync('npm', ['install', '--silent', '--omit=dev', '--no-audit', '--no-fund', tarball], { cwd: app, stdio: 'inherit' });
  writeFileSync(join(work, 'empty.mjs'), '');
  const bin = join(app, 'node_modules/.bin/sloctl');
  const contract = join(root, 'examples/checkout/slo.yaml');
  const dev = `node ${join(root, 'scripts/dev.mjs')}`;
  const md = join(work, 'startup.md');
  const json = join(work, 'startup.json');
  const r = spawnSync('hyperfine', [
    '--warmup', '3', '--runs', runs, '--export-markdown', md, '--export-json', json, '-N',
    '-n', 'node (empty script)', `node ${join(work, 'empty.mjs')}`,
    '-n', 'sloctl --version', `${bin} --version`,
    '-n', 'sloctl validate examples/checkout/slo.yaml', `${bin} validate ${contract}`,
    '-n', 'sources through tsx: validate', `${dev} validate ${contract}`,
  ], { stdio: 'inherit' });
  if (r.status !== 0) process.exit(r.status ?? 1);
  console.log(`\n${readFileSync(md, 'utf8')}`);
  // Medians: on a shared machine a few slow runs move the mean; the median is what to quote.
  const results = JSON.parse(readFileSync(json, 'utf8')).results;
  const base = results[0].median;
  console.log('| Command | Median [ms] | Relative to node |\n|:---|---:|---:|');
  for (const x of results) console.log(`| \`${x.command}\` | ${(x.median * 1000).toFixed(1)} | ${(x.median / base).toFixed(2)} |`);
} finally {
  rmSync(work, { recursive: true, force: true });
}
