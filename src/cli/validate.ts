// `sloctl validate [FILES...]`: schema, semantics, and (with --project / --go-module-path) the
// contract against the code. Every finding of every file at once; exit 0 valid, 1 invalid, 2 usage.
import type { Command } from 'commander';
import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { basename, join, relative, resolve } from 'node:path';
import { describeContract } from '../contract/describe.ts';
import { byLocation, hasErrors, type Diagnostic } from '../contract/diagnostic.ts';
import { parseContract, type LoadedContract } from '../contract/load.ts';
import { renderDiagnostic } from '../contract/render.ts';
import { findRegistration, looksLikeSli, requiredMetrics } from '../contract/required-metrics.ts';
import { sloNames } from '../contract/semantic.ts';
import { scanGoModule, scanTypeScriptProject, type ScanResult } from '../scan/index.ts';
import { EXIT, UsageError, type CliContext } from './exit.ts';

export const CONTRACT_FILE_NAMES = ['slo.yaml', 'slo.yml'];
const SKIP_DIRS = new Set(['node_modules', '.git', 'dist', 'build', 'coverage', 'vendor']);

interface ValidateOptions {
  format: 'text' | 'json';
  project?: string;
  goModulePath?: string;
  strict?: boolean;
  staged?: boolean;
  quiet?: boolean;
  verbose?: boolean;
}

interface Source {
  /** As shown to the user: relative to the working directory. */
  file: string;
  text: string;
}

export function register(program: Command, ctx: CliContext): void {
  program
    .command('validate')
    .description('Check slo.yaml contracts: schema, units, math, and the metrics the code registers.')
    .argument('[files...]', 'contract files, or directories to search for slo.yaml (default: ./slo.yaml)')
    .option('--format <format>', 'output format: text or json', 'text')
    .option('--project <dir>', 'check that the TypeScript/JavaScript sources under DIR register every metric the contract reads')
    .option('--go-module-path <dir>', 'the same for a Go module that registers metrics with client_golang')
    .option('--strict', 'warnings fail too, and report SLI-looking metrics no contract reads')
    .option('--staged', 'validate the staged (git index) content of slo.yaml files, as the pre-commit hook does')
    .option('-q, --quiet', 'print nothing when everything is valid')
    .option('-v, --verbose', 'also print what each valid contract promises, one line per objective')
    .action(async (files: string[], opts: ValidateOptions) => {
      if (opts.format !== 'text' && opts.format !== 'json') {
        throw new UsageError(`--format must be text or json, got "${opts.format}"`);
      }
      const sources = opts.staged ? stagedSources(ctx.cwd, files) : readSources(ctx.cwd, files);
      ctx.exitCode = await validateSources(sources, opts, ctx);
    });
}

/** The files named, or every slo.yaml under the directories named. Unreadable -> usage error. */
function readSources(cwd: string, args: string[]): Source[] {
  const targets = args.length > 0 ? args : ['slo.yaml'];
  const files: string[] = [];
  for (const arg of targets) {
    const abs = resolve(cwd, arg);
    let stat;
    try {
      stat = statSync(abs);
    } catch {
      const hint = args.length === 0 ? ' (name a contract file, or run sloctl in the directory that has slo.yaml)' : '';
      throw new UsageError(`cannot read ${arg}: no such file or directory${hint}`);
    }
    if (stat.isDirectory()) {
      const found = findContracts(abs);
      if (found.length === 0) throw new UsageError(`no slo.yaml found under ${arg}`);
      files.push(...found);
    } else files.push(abs);
  }
  return [...new Set(files)].map((abs) => {
    const file = relative(cwd, abs) || basename(abs);
    try {
      return { file, text: readFileSync(abs, 'utf8') };
    } catch (e) {
      throw new UsageError(`cannot read ${file}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
    }
  });
}

function findContracts(dir: string): string[] {
  const out: string[] = [];
  const walk = (d: string) => {
    for (const entry of readdirSync(d, { withFileTypes: true }).sort((a, b) => a.name.localeCompare(b.name))) {
      if (entry.isDirectory()) {
        if (!SKIP_DIRS.has(entry.name) && !entry.name.startsWith('.')) walk(join(d, entry.name));
      } else if (entry.isFile() && CONTRACT_FILE_NAMES.includes(entry.name)) out.push(join(d, entry.name));
    }
  };
  walk(dir);
  return out;
}

/** The staged content of contract files (what the commit will hold, not the working tree). */
function stagedSources(cwd: string, args: string[]): Source[] {
  const git = (gitArgs: string[]) => execFileSync('git', gitArgs, { cwd, encoding: 'utf8', maxBuffer: 64 * 1024 * 1024, stdio: ['ignore', 'pipe', 'pipe'] });
  let top: string;
  try {
    top = git(['rev-parse', '--show-toplevel']).trim();
  } catch {
    throw new UsageError('--staged needs a git repository: run it inside one');
  }
  const names = git(['diff', '--cached', '--name-only', '--diff-filter=ACMR', '-z']).split('\0').filter(Boolean);
  const wanted = args.map((a) => relative(top, resolve(cwd, a)));
  const chosen = names.filter((n) => {
    if (wanted.length > 0) return wanted.some((w) => n === w || n.startsWith(`${w}/`) || w === '');
    return CONTRACT_FILE_NAMES.includes(basename(n));
  });
  return chosen.map((n) => ({ file: relative(cwd, join(top, n)), text: git(['show', `:${n}`]) }));
}

async function validateSources(sources: Source[], opts: ValidateOptions, ctx: CliContext): Promise<number> {
  const loaded = sources.map((s) => parseContract(s.text, s.file));
  const diagnostics = loaded.flatMap((l) => l.diagnostics);
  diagnostics.push(...duplicatesAcrossFiles(loaded));

  const scans: Array<{ label: string; result: ScanResult; root: string }> = [];
  if (opts.project) scans.push({ label: opts.project, root: opts.project, result: await scanDir(ctx.cwd, opts.project, '--project', scanTypeScriptProject) });
  if (opts.goModulePath) scans.push({ label: opts.goModulePath, root: opts.goModulePath, result: await scanDir(ctx.cwd, opts.goModulePath, '--go-module-path', scanGoModule) });
  if (scans.length > 0) diagnostics.push(...codeCheck(loaded, scans, opts.strict === true));

  const all = diagnostics.sort(byLocation);
  const failed = hasErrors(all) || (opts.strict === true && all.length > 0);
  if (opts.format === 'json') {
    ctx.stdout(`${JSON.stringify(jsonReport(sources, all, failed, scans), null, 2)}\n`);
  } else {
    const texts = new Map(sources.map((s) => [s.file, s.text]));
    for (const d of all) ctx.stderr(`${renderDiagnostic(d, { sources: texts, color: ctx.color })}\n\n`);
    if (!opts.quiet || failed) ctx.stdout(`${summary(sources, loaded, all, scans, failed, opts.verbose === true)}\n`);
  }
  return failed ? EXIT.FAILED : EXIT.OK;
}

async function scanDir(cwd: string, dir: string, flag: string, scan: (d: string) => Promise<ScanResult>): Promise<ScanResult> {
  const abs = resolve(cwd, dir);
  let isDir = false;
  try {
    isDir = statSync(abs).isDirectory();
  } catch {
    /* reported below */
  }
  if (!isDir) throw new UsageError(`${flag} ${dir}: not a directory`);
  return scan(abs);
}

/** Every metric each contract reads must be registered by the code; --strict also flags the reverse. */
function codeCheck(loaded: LoadedContract[], scans: Array<{ label: string; result: ScanResult; root: string }>, strict: boolean): Diagnostic[] {
  const out: Diagnostic[] = [];
  const registered = scans.flatMap((s) => s.result.metrics.map((m) => ({ ...m, file: join(s.root, m.file) })));
  const where = scans.map((s) => s.label).join(' and ');
  const used = new Set<object>();
  for (const l of loaded) {
    if (!l.contract) continue;
    for (const need of requiredMetrics(l.contract)) {
      const found = findRegistration(need, registered);
      const pos = l.locate(need.path, need.at);
      if (!found) {
        const kind = need.type ? `the ${need.type} ` : '';
        const hint = need.role
          ? `register it (sloctl/sdk's instrument() does), or map the role to the metric your code has: \`metrics: { ${need.role}: <name> }\``
          : 'register it in the code, or fix the metric name in the query';
        out.push({ file: l.file, ...pos, severity: 'error', code: 'SLO_METRIC_NOT_REGISTERED', message: `${need.why} reads ${kind}\`${need.name}\`, which the code under ${where} does not register`, hint, path: need.path });
        continue;
      }
      used.add(found);
      if (need.type && found.type !== 'untyped' && found.type !== need.type) {
        out.push({ file: l.file, ...pos, severity: 'error', code: 'SLO_METRIC_TYPE', message: `${need.why} reads \`${need.name}\` as a ${need.type}, but the code registers it as a ${found.type}`, path: need.path, related: [{ file: found.file, line: found.line, col: found.col, message: `registered here (${found.via})` }] });
      }
    }
  }
  for (const s of scans) {
    for (const w of s.result.warnings) out.push({ file: join(s.root, w.file), line: w.line, col: w.col, severity: 'warning', code: 'SLO_SCAN', message: w.message });
  }
  if (strict) {
    for (const m of registered) {
      if (used.has(m) || !looksLikeSli(m) || isRuntimeDefault(m.via)) continue;
      out.push({ file: m.file, line: m.line, col: m.col, severity: 'warning', code: 'SLO_METRIC_UNCOVERED', message: `\`${m.name}\` (${m.type}) looks like an SLI, but no contract reads it`, hint: 'add an objective or a custom SLI that uses it, or drop the metric' });
    }
  }
  return out;
}

/** Registrations that come with the runtime (prom-client's or client_golang's default collectors). */
function isRuntimeDefault(via: string): boolean {
  return /default/i.test(via);
}

/** Two SLOs of one service with the same name, in different files: they would make one rule name. */
function duplicatesAcrossFiles(loaded: LoadedContract[]): Diagnostic[] {
  const out: Diagnostic[] = [];
  const seen = new Map<string, { file: string; line: number; col: number }>();
  for (const l of loaded) {
    if (!l.contract) continue;
    const inThisFile = new Set<string>();
    for (const slo of sloNames(l.contract)) {
      const key = `${l.contract.service.name}/${slo.name}`;
      if (inThisFile.has(key)) continue; // reported by the file's own check
      inThisFile.add(key);
      const first = seen.get(key);
      const pos = l.locate(slo.path);
      if (first && first.file !== l.file) {
        out.push({ file: l.file, ...pos, severity: 'error', code: 'SLO_DUPLICATE_NAME', message: `service "${l.contract.service.name}" already has an SLO named "${slo.name}" in ${first.file}`, hint: 'SLO names become rule and series names: make them unique per service', related: [{ ...first, message: 'first defined here' }] });
      } else if (!first) seen.set(key, { file: l.file, line: pos.line, col: pos.col });
    }
  }
  return out;
}

function summary(sources: Source[], loaded: LoadedContract[], all: Diagnostic[], scans: Array<{ label: string; result: ScanResult }>, failed: boolean, verbose: boolean): string {
  const errors = all.filter((d) => d.severity === 'error').length;
  const warnings = all.length - errors;
  const lines: string[] = [];
  for (const l of loaded) {
    const own = all.filter((d) => d.file === l.file);
    const ok = !own.some((d) => d.severity === 'error');
    if (ok && l.contract) {
      const c = l.contract;
      const sections = Object.keys(c.objectives).filter((k) => (c.objectives as Record<string, unknown>)[k] !== undefined);
      lines.push(`✓ ${l.file}: service "${c.service.name}", ${sloNames(c).length} SLOs, ${sections.length}/11 contracts (${sections.join(', ') || 'none'}), ${c.routes.length} routes, ${c.dependencies.length} dependencies`);
      if (verbose) lines.push(...describeContract(c).map((line) => `    ${line}`));
    } else {
      lines.push(`✗ ${l.file}: ${own.filter((d) => d.severity === 'error').length} error(s)`);
    }
  }
  for (const s of scans) {
    const defaults = s.result.metrics.filter((m) => isRuntimeDefault(m.via)).length;
    lines.push(`  code check: ${s.result.metrics.length - defaults} metrics registered in ${s.result.filesScanned} files under ${s.label}${defaults ? `, plus ${defaults} runtime defaults` : ''}`);
  }
  if (sources.length === 0) lines.push('no staged contract files to validate');
  lines.push(`${failed ? 'invalid' : 'valid'}: ${sources.length} file(s), ${errors} error(s), ${warnings} warning(s)`);
  return lines.join('\n');
}

function jsonReport(sources: Source[], all: Diagnostic[], failed: boolean, scans: Array<{ label: string; result: ScanResult }>) {
  return {
    valid: !failed,
    files: sources.map((s) => ({ file: s.file, valid: !all.some((d) => d.file === s.file && d.severity === 'error'), diagnostics: all.filter((d) => d.file === s.file) })),
    codeCheck: scans.map((s) => ({ dir: s.label, filesScanned: s.result.filesScanned, metrics: s.result.metrics.length, diagnostics: all.filter((d) => d.code === 'SLO_SCAN' || d.code === 'SLO_METRIC_UNCOVERED').filter((d) => d.file.startsWith(s.label)) })),
    summary: { files: sources.length, errors: all.filter((d) => d.severity === 'error').length, warnings: all.filter((d) => d.severity === 'warning').length },
  };
}
