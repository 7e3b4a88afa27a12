// `sloctl validate [FILES...]`: schema, semantics, and (with --project / --go-module-path) the
// contract against the code, and (with --target) against the running service's metrics. Every
// finding of every file at once; exit 0 valid, 1 invalid, 2 usage, 3 the target cannot be read.
import type { Command } from 'commander';
import { execFileSync } from 'node:child_process';
import { existsSync, lstatSync, readdirSync, readFileSync, readlinkSync, realpathSync, statSync } from 'node:fs';
import { basename, isAbsolute, join, posix, relative, resolve, sep } from 'node:path';
import { describeContract } from '../contract/describe.ts';
import { byLocation, hasErrors, type Diagnostic, type Related } from '../contract/diagnostic.ts';
import { MAX_CONTRACT_BYTES, parseContract, type LoadedContract } from '../contract/load.ts';
import { groupFindings, othersLine } from '../contract/group-findings.ts';
import { labelNeeds, missingBuckets, missingLabels, type LabelsObserved } from '../contract/live-facts.ts';
import { renderDiagnostic } from '../contract/render.ts';
import { seriesNamesOf } from '../contract/metric-names.ts';
import { findRegistration, latencyBounds, looksLikeSli, mergeBounds, reads, registrationHint, requiredMetrics, type RegisteredName } from '../contract/required-metrics.ts';
import { editDistance } from '../contract/suggest.ts';
import { sloNames } from '../contract/semantic.ts';
import { formatDuration } from '../contract/units.ts';
import { dependencyOf } from '../scan/untimed-dependency.ts';
import { codeTimeout } from '../contract/scaffold-dependencies.ts';
import type { ScanResult } from '../scan/index.ts';
import { EXIT, UsageError, type CliContext } from './exit.ts';
import { contractArgument, CONTRACT_FILE_NAMES, CONTRACT_SEARCH_SKIP_DIRS } from './files.ts';
import { pluralize } from './plural.ts';
import { checkContractJson, readOnDisk, type ContractJsonCheck } from './validate-contract-json.ts';
import { checkDependencyNames, checkUnnamedDependencies } from './validate-dependencies.ts';
import { checkRoutes } from './validate-routes.ts';
import { sdkOrderFinding } from './validate-sdk-order.ts';
import { expressErrorsFinding } from './validate-express-errors.ts';
import { checkSdkPaths } from './validate-sdk-paths.ts';
import { drainNotServedFinding } from './validate-drain.ts';
import { Ownership } from './validate-scope.ts';
import type { LiveCheck } from './validate-target.ts';

/**
 * Text output prints at most this many findings per file (the first ones, in file order), then
 * says how many more there are: past a few hundred, more findings help nobody read the file, and
 * printing 50,000 of them takes longer than finding them. `--format json` always lists every one.
 */
export const MAX_PRINTED_PER_FILE = 200;

interface ValidateOptions {
  format: 'text' | 'json';
  project?: string;
  goModulePath?: string;
  strict?: boolean;
  staged?: boolean;
  quiet?: boolean;
  verbose?: boolean;
  target?: string;
  allowRemote?: boolean;
}

interface Source {
  /** As shown to the user: relative to the working directory. */
  file: string;
  /** The content; empty when the file is over MAX_CONTRACT_BYTES (then `size` says how large it is). */
  text: string;
  size?: number;
  /** What the content really is (a real path, or `:path` in the git index): two names for one file are validated once. */
  key: string;
  /** Reached through a symbolic link. */
  viaLink: boolean;
}

/**
 * Symbolic links named slo.yaml are followed, the same way in all three ways of finding a
 * contract (a file named, a directory searched, the staged files the pre-commit hook checks): the
 * contract is the file the link points to. Links to directories are not followed when searching,
 * as git does not follow them either. A link that points nowhere, or at itself, is a usage error.
 */
const MAX_LINK_HOPS = 40; // as Linux's ELOOP limit

/** Why a path that lstat can see cannot be read through: a loop or a link to nothing. */
function linkProblem(shown: string, abs: string, e: NodeJS.ErrnoException): string | undefined {
  if (e.code === 'ELOOP') return `cannot read ${shown}: it is a symbolic link that loops (it never reaches a file)`;
  try {
    if (lstatSync(abs).isSymbolicLink()) return `cannot read ${shown}: it is a symbolic link to ${readlinkSync(abs)}, which does not exist`;
  } catch {
    /* not there at all */
  }
  return undefined;
}

/**
 * Reads a contract file from disk (following links), without reading more than the size limit.
 * `linkTarget`: the target of the staged link that led here, for the message when it is missing.
 */
function readContractFile(abs: string, file: string, viaLink: boolean, linkTarget?: string): Source {
  let size: number;
  let real: string;
  try {
    real = realpathSync(abs);
    const stat = statSync(real);
    if (stat.isDirectory()) throw new UsageError(`cannot read ${file}: it is ${viaLink || real !== abs ? 'a symbolic link to a directory' : 'a directory'}`);
    size = stat.size;
  } catch (e) {
    if (e instanceof UsageError) throw e;
    const err = e as NodeJS.ErrnoException;
    if (err.code === 'ENOENT' && linkTarget !== undefined) throw new UsageError(`cannot read ${file}: it is a symbolic link to ${linkTarget}, which does not exist`);
    throw new UsageError(linkProblem(file, abs, err) ?? `cannot read ${file}: ${err.code === 'ENOENT' ? 'no such file or directory' : (err.code ?? err.message)}`);
  }
  const link = viaLink || real !== abs;
  if (size > MAX_CONTRACT_BYTES) return { file, text: '', size, key: real, viaLink: link };
  try {
    return { file, text: readFileSync(real, 'utf8'), key: real, viaLink: link };
  } catch (e) {
    throw new UsageError(`cannot read ${file}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
  }
}

/** One source per file: when two names reach the same content, keep the file's own name over a link's. */
function oncePerFile(sources: Source[]): Source[] {
  const chosen = new Map<string, Source>();
  for (const s of sources) {
    const had = chosen.get(s.key);
    if (!had || (had.viaLink && !s.viaLink)) chosen.set(s.key, s);
  }
  return sources.filter((s) => chosen.get(s.key) === s);
}

export function register(program: Command, ctx: CliContext): void {
  program
    .command('validate')
    .description('Check slo.yaml contracts: schema, units, math, the metrics the code registers, and (--target) what the running service exposes.')
    .argument('[files...]', 'contract files, or directories to search for slo.yaml (default: ./slo.yaml)')
    .option('--format <format>', 'output format: text or json', 'text')
    .option('--project <dir>', 'check that the code under DIR registers every metric and route the contract reads: its TypeScript/JavaScript, and its Go when DIR has a go.mod or the contract says service.runtime: go (as --go-module-path DIR)')
    .option('--go-module-path <dir>', 'the same for a Go module that registers metrics with client_golang')
    .option('--target <url>', "scrape the running service once and check what the contract depends on (a bucket at every threshold, the mapped labels, the metrics it reads, a series for each route and each dependency): its metrics URL, or its base URL (the contract's target.metrics path is added)")
    .option('--allow-remote', 'with --target: allow a target that is not on a loopback address')
    .option('--strict', 'warnings fail too, and report SLI-looking metrics no contract reads')
    .option('--staged', 'validate the staged (git index) content of slo.yaml files, as the pre-commit hook does; with --project, also the contracts whose code is staged (and no scan when neither is)')
    .option('-q, --quiet', 'print nothing when everything is valid')
    .option('-v, --verbose', 'also print what each valid contract promises, one line per objective')
    .action(async (files: string[], opts: ValidateOptions) => {
      if (opts.format !== 'text' && opts.format !== 'json') {
        throw new UsageError(`--format must be text or json, got "${opts.format}"`);
      }
      if (opts.allowRemote && opts.target === undefined) throw new UsageError('--allow-remote applies to --target only');
      // A bad --target URL is a usage error before anything is read.
      // (The scraper, undici with it, loads only with --target: the pre-commit hook never needs it.)
      if (opts.target !== undefined) (await import('./validate-target.ts')).checkTargetFlag(opts.target, opts.allowRemote === true);
      if (!opts.staged) {
        ctx.exitCode = await validateSources(readSources(ctx.cwd, files), opts, ctx);
        return;
      }
      const scanned = [opts.project, opts.goModulePath].filter((d): d is string => d !== undefined);
      const staged = stagedSources(ctx.cwd, files, scanned);
      ctx.exitCode = await validateSources(staged.sources, opts, ctx, staged);
    });
}

/**
 * What `--staged` with --project (or --go-module-path) found beyond the staged contracts: the
 * contracts whose code the commit changes (`codeOwners`: contract as shown -> the staged code
 * files, as shown), and whether the code check is worth running at all (`skipScan`: the one line
 * that says why not).
 */
interface StagedCode {
  codeOwners: Map<string, string[]>;
  skipScan?: string;
}

/** The files the code scanners read (TypeScript/JavaScript, Go), and the manifests that change what they read. */
const CODE_FILE = /\.(ts|tsx|mts|cts|js|mjs|cjs|jsx|go)$/i;
const CODE_MANIFESTS: ReadonlySet<string> = new Set(['package.json', 'pnpm-workspace.yaml', 'tsconfig.json', 'go.mod']);

/**
 * A staged path (from the repository's top) the scan of `dir` (relative to the top, '' for it)
 * reads: a source file or a manifest below it, not in node_modules or a dot directory. Loose on
 * purpose (a test file counts): a change it lets through only costs a scan.
 */
function scannedBy(dir: string, path: string): boolean {
  const rel = dir === '' ? path : path.startsWith(`${dir}/`) ? path.slice(dir.length + 1) : undefined;
  if (rel === undefined) return false;
  const parts = rel.split('/');
  const name = parts.pop()!;
  if (parts.some((d) => d.startsWith('.') || d === 'node_modules')) return false;
  return CODE_FILE.test(name) || CODE_MANIFESTS.has(name);
}

/** The files named, or every slo.yaml under the directories named. Unreadable -> usage error. */
function readSources(cwd: string, args: string[]): Source[] {
  const targets = args.length > 0 ? args : [contractArgument(cwd, undefined, 'sloctl validate')];
  const files: string[] = [];
  for (const arg of targets) {
    const abs = resolve(cwd, arg);
    let stat;
    try {
      stat = statSync(abs);
    } catch (e) {
      const problem = linkProblem(arg, abs, e as NodeJS.ErrnoException);
      if (problem) throw new UsageError(problem);
      throw new UsageError(`cannot read ${arg}: no such file or directory`);
    }
    if (stat.isDirectory()) {
      const found = findContracts(abs);
      if (found.length === 0) throw new UsageError(`no slo.yaml found under ${arg}`);
      files.push(...found);
    } else files.push(abs);
  }
  return oncePerFile([...new Set(files)].map((abs) => readContractFile(abs, relative(cwd, abs) || basename(abs), false)));
}

function findContracts(dir: string): string[] {
  const out: string[] = [];
  const walk = (d: string) => {
    for (const entry of readdirSync(d, { withFileTypes: true }).sort((a, b) => a.name.localeCompare(b.name))) {
      if (entry.isDirectory()) {
        if (!CONTRACT_SEARCH_SKIP_DIRS.has(entry.name) && !entry.name.startsWith('.')) walk(join(d, entry.name));
      } else if ((entry.isFile() || entry.isSymbolicLink()) && CONTRACT_FILE_NAMES.includes(entry.name)) {
        // A link is read through (readContractFile says so when it leads nowhere).
        out.push(join(d, entry.name));
      }
    }
  };
  walk(dir);
  return out;
}

/** The staged content of contract files (what the commit will hold, not the working tree). */
/** git run in `cwd`, and the top of its repository; a usage error outside one. */
function repositoryAt(cwd: string): { git: (args: string[]) => string; top: string } {
  const git = (gitArgs: string[]) => execFileSync('git', gitArgs, { cwd, encoding: 'utf8', maxBuffer: 64 * 1024 * 1024, stdio: ['ignore', 'pipe', 'pipe'] });
  try {
    return { git, top: git(['rev-parse', '--show-toplevel']).trim() };
  } catch {
    throw new UsageError('--staged needs a git repository: run it inside one');
  }
}

function stagedSources(cwd: string, args: string[], scanned: readonly string[] = []): { sources: Source[] } & StagedCode {
  const { git, top } = repositoryAt(cwd);
  // T: a file that became a symbolic link (or the reverse) is a change to check too.
  const names = git(['diff', '--cached', '--name-only', '--diff-filter=ACMRT', '-z']).split('\0').filter(Boolean);
  const wanted = args.map((a) => relative(top, resolve(cwd, a)));
  // A file named is validated whatever its name; under a directory named, only the files
  // `validate DIR` would find there (slo.yaml / slo.yml, not in node_modules or a dot directory):
  // `validate --staged services/` read a staged .sloctl/baseline.json, which the README says to
  // commit, as a contract and refused the commit.
  const found = (n: string, under: string) => {
    const below = under === '' ? n : n.slice(under.length + 1);
    const dirs = below.split('/').slice(0, -1);
    return CONTRACT_FILE_NAMES.includes(basename(n)) && !dirs.some((d) => d.startsWith('.') || CONTRACT_SEARCH_SKIP_DIRS.has(d));
  };
  const chosen = names.filter((n) => {
    if (wanted.length > 0) return wanted.some((w) => n === w || ((n.startsWith(`${w}/`) || w === '') && found(n, w)));
    return CONTRACT_FILE_NAMES.includes(basename(n));
  });
  const shownOf = (n: string) => relative(cwd, join(top, n));
  const codeOwners = new Map<string, string[]>();
  let skipScan: string | undefined;
  if (scanned.length > 0) {
    // A commit that changes (or deletes, or renames away) the code a contract reads can break it
    // with no contract staged: a handler's route removed, a metric renamed. Those contracts are
    // checked too, from the index. A commit that touches neither (a README) skips the scan: the
    // pre-commit hook then costs what it costs without --project.
    const dirs = scanned.map((d) => relative(top, resolve(cwd, d)).split(sep).join('/'));
    const changed = git(['diff', '--cached', '--name-only', '--no-renames', '-z']).split('\0').filter(Boolean);
    const code = changed.filter((n) => dirs.some((d) => scannedBy(d, n)));
    if (code.length > 0) {
      const contracts = git(['ls-files', '-z', '--', ...CONTRACT_FILE_NAMES.map((n) => `:(glob)**/${n}`)]).split('\0').filter(Boolean);
      const inScope = (n: string) => wanted.length === 0 || wanted.some((w) => n === w || ((n.startsWith(`${w}/`) || w === '') && found(n, w)));
      const byDir = new Map<string, string[]>();
      for (const c of contracts) byDir.set(posix.dirname(c), [...(byDir.get(posix.dirname(c)) ?? []), c]);
      const own = (contract: string, file: string) => codeOwners.set(contract, [...(codeOwners.get(contract) ?? []), shownOf(file)]);
      for (const file of code) {
        // Its contract is the nearest one above it (validate-scope.ts); code under none is a shared
        // package, which counts for every contract whose code is scanned with it.
        let owner: string[] | undefined;
        for (let dir = posix.dirname(file); owner === undefined; dir = posix.dirname(dir)) {
          owner = byDir.get(dir);
          if (dir === '.' || dir === '') break;
        }
        const all = owner ?? contracts.filter((c) => inScope(c) && dirs.some((d) => d === '' || c.startsWith(`${d}/`) || d.startsWith(`${posix.dirname(c)}/`) || d === posix.dirname(c)));
        // A contract outside the files named (`validate --staged services/orders`) is not checked, even when the code is its.
        for (const c of all) if (inScope(c) && !chosen.includes(c)) own(c, file);
      }
    }
    // A --project that is not a directory is still said to be one (by the scan), whatever is staged.
    const isDir = (d: string) => existsSync(resolve(cwd, d)) && statSync(resolve(cwd, d)).isDirectory();
    if (chosen.length === 0 && codeOwners.size === 0 && scanned.every(isDir)) {
      const what = code.length === 0 ? `no code under ${scanned.join(' or ')} is staged either` : `no contract ${wanted.length > 0 ? `under ${args.join(', ')}` : 'in the index'} owns the staged code (${code.slice(0, 3).map(shownOf).join(', ')}${code.length > 3 ? ', …' : ''})`;
      skipScan = `  code check: not run, no contract is staged and ${what}`;
    }
  }
  const owners = [...codeOwners.keys()].filter((n) => !chosen.includes(n));
  const sources = oncePerFile([...chosen, ...owners].map((n) => stagedContract(git, top, n, shownOf(n))));
  return { sources, codeOwners: new Map([...codeOwners].map(([c, files]) => [shownOf(c), files])), ...(skipScan ? { skipScan } : {}) };
}

/** The index content of a file beside a staged contract; the working tree's when it is not in the index. */
function stagedReader(cwd: string): (abs: string) => string | undefined {
  const { git, top } = repositoryAt(cwd);
  return (abs) => {
    const path = relative(top, abs).split(sep).join('/');
    const entry = git(['ls-files', '--stage', '-z', '--', `:(literal)${path}`]).split('\0').find((e) => e.slice(e.indexOf('\t') + 1) === path);
    if (!entry) return readOnDisk(abs);
    const [mode, object] = entry.split(/[ \t]/);
    if (mode !== '100644' && mode !== '100755') return undefined;
    if (Number(git(['cat-file', '-s', object]).trim()) > MAX_CONTRACT_BYTES) return undefined;
    return git(['cat-file', 'blob', object]);
  };
}

/**
 * The staged content at repository path `name`. A staged symbolic link (mode 120000; git stores
 * the link's target path as its content) is followed: the target, relative to the link, is read
 * from the index when it is staged there, else from the working tree (untracked, or outside the
 * repository), as the commit's checkout would see it.
 */
function stagedContract(git: (args: string[]) => string, top: string, name: string, shown: string): Source {
  const chain = [name];
  let path = name;
  let linkTarget: string | undefined;
  for (let hop = 0; ; hop++) {
    // "<mode> <object> <stage>\t<path>\0", for the path exactly (no pathspec magic).
    const entries = git(['ls-files', '--stage', '-z', '--', `:(literal)${path}`]).split('\0').filter(Boolean);
    const viaLink = hop > 0;
    if (entries.length === 0) return readContractFile(join(top, path), shown, viaLink, linkTarget);
    const entry = entries.find((e) => e.slice(e.indexOf('\t') + 1) === path);
    if (!entry) throw new UsageError(`cannot read ${shown}: it is a symbolic link to a directory (${path})`); // only files under it are staged
    const [mode, object] = entry.split(/[ \t]/);
    if (mode === '160000') throw new UsageError(`cannot read ${shown}: ${path} is a git submodule, not a file`);
    if (mode !== '120000') {
      const size = Number(git(['cat-file', '-s', object]).trim());
      const key = `:${path}`;
      if (size > MAX_CONTRACT_BYTES) return { file: shown, text: '', size, key, viaLink };
      return { file: shown, text: git(['cat-file', 'blob', object]), key, viaLink };
    }
    if (hop >= MAX_LINK_HOPS) {
      throw new UsageError(`cannot read ${shown}: it is a symbolic link that loops (${chain.join(' -> ')}), it never reaches a file`);
    }
    const target = git(['cat-file', 'blob', object]);
    const next = isAbsolute(target) ? undefined : posix.normalize(posix.join(posix.dirname(path), target));
    if (next === undefined || next === '..' || next.startsWith('../')) {
      // Outside the repository: the file on disk is what the link will show.
      return readContractFile(isAbsolute(target) ? target : join(top, next!), shown, true, target);
    }
    linkTarget = target;
    if (chain.includes(next)) {
      chain.push(next);
      throw new UsageError(`cannot read ${shown}: it is a symbolic link that loops (${chain.join(' -> ')}), it never reaches a file`);
    }
    chain.push(next);
    path = next;
  }
}

async function validateSources(sources: Source[], opts: ValidateOptions, ctx: CliContext, staged?: StagedCode): Promise<number> {
  const loaded = sources.map((s) => parseContract(s.text, s.file, s.size === undefined ? {} : { size: s.size }));
  const diagnostics = loaded.flatMap((l) => l.diagnostics);
  diagnostics.push(...duplicatesAcrossFiles(loaded));
  // A contract JSON beside a contract on disk (what the Go middleware loads), against what it generates now.
  // Staged, the JSON the commit holds beside it (the index copy; the disk's when it is not tracked):
  // a commit that adds a route to a Go service's slo.yaml and not to its slo.json ships a service
  // that labels the route `unmatched`, and the hook used to say nothing.
  const contractJsons = new Map<string, ContractJsonCheck>();
  {
    const read = opts.staged ? stagedReader(ctx.cwd) : undefined;
    for (const l of loaded) {
      const check = await checkContractJson(l, ctx.cwd, read);
      if (!check) continue;
      contractJsons.set(l.file, check);
      if (check.diagnostic) diagnostics.push(check.diagnostic);
    }
  }

  const scans: Scan[] = [];
  const notes: string[] = [];
  for (const [contract, files] of staged?.codeOwners ?? []) {
    notes.push(`  ${contract}: not staged, checked because the commit changes its code (${files.slice(0, 3).join(', ')}${files.length > 3 ? ', …' : ''})`);
  }
  if (staged?.skipScan) notes.push(staged.skipScan);
  const scan = staged?.skipScan === undefined;
  // The scanners (Babel's parser, the Go grammar) load only when asked for: the pre-commit hook
  // validates without them on every commit.
  if (opts.project && scan) {
    // A Go service's code is Go: --project scans it as --go-module-path would (its TypeScript too
    // when the directory has a package.json, or it has no go.mod and no contract says Go, or a
    // contract validated here says another runtime: a monorepo's services/ holding a Go and a
    // Node service has no package.json of its own, and the Node one was left unread).
    const go = goProject(ctx.cwd, opts.project, loaded);
    const sameAsGoFlag = opts.goModulePath !== undefined && resolve(ctx.cwd, opts.goModulePath) === resolve(ctx.cwd, opts.project);
    const nodeContract = loaded.some((l) => l.contract !== undefined && l.contract.service.runtime !== 'go');
    if (!go || nodeContract || existsSync(join(resolve(ctx.cwd, opts.project), 'package.json'))) {
      const { scanTypeScriptProject } = await import('../scan/typescript.ts');
      scans.push({ label: opts.project, root: opts.project, language: 'node', result: await scanDir(ctx.cwd, opts.project, '--project', scanTypeScriptProject) });
    }
    if (go && !sameAsGoFlag) {
      const { scanGoModule } = await import('../scan/go.ts');
      try {
        scans.push({ label: opts.project, root: opts.project, language: 'go', result: await scanDir(ctx.cwd, opts.project, '--project', scanGoModule), note: `Go: ${go.why}; scanned as --go-module-path ${opts.project} would` });
        // A Go service with a package.json only to install sloctl: its TypeScript scan found no
        // file, and a second code check line of "0 metrics in 0 files" read as a failed check.
        const ts = scans.findIndex((s) => s.language === 'node' && s.root === opts.project);
        if (ts >= 0 && scans[ts].result.filesScanned === 0) scans.splice(ts, 1);
      } catch (e) {
        if (!(e instanceof UsageError && e.message.includes('web-tree-sitter'))) throw e;
        const message = `--project ${opts.project}: this is a Go service (${go.why}), and reading its Go code needs the WebAssembly tree-sitter runtime, an optional peer dependency of sloctl: install it beside sloctl (npm install --save-dev web-tree-sitter) and run again`;
        // A Go contract's code check without its Go code is no check; a go.mod beside Node code (a tool) is a note.
        if (go.contract) throw new UsageError(message);
        notes.push(`  code check: Go code under ${opts.project} not read (${message.slice(message.indexOf(': ') + 2)})`);
      }
    }
  }
  if (opts.goModulePath && scan) {
    const { scanGoModule } = await import('../scan/go.ts');
    scans.push({ label: opts.goModulePath, root: opts.goModulePath, language: 'go', result: await scanDir(ctx.cwd, opts.goModulePath, '--go-module-path', scanGoModule) });
  }
  let attributed: Attribution = new Map();
  if (scans.length > 0) {
    const check = codeCheck(loaded, scans, opts.strict === true, ctx.cwd);
    diagnostics.push(...check.diagnostics);
    notes.push(...check.notes);
    attributed = check.attributed;
  }
  let live: LiveCheck | undefined;
  if (opts.target !== undefined) {
    // One running service: one contract to hold it against.
    if (sources.length !== 1) throw new UsageError(`--target checks one running service against one contract: name one contract file (got ${sources.length})`);
    const l = loaded[0];
    if (l.contract) {
      const { liveCheck } = await import('./validate-target.ts');
      // The latency histogram of sloctl's Go middleware, when the code check saw it switched on: its buckets come from the contract JSON.
      const sdk = scans.filter((s) => s.language === 'go').flatMap((s) => s.result.metrics.filter((m) => m.bulk === 'sdk' && m.type === 'histogram').map((m) => `${m.via} at ${join(s.root, m.file)}:${m.line}:${m.col}`))[0];
      const json = contractJsons.get(l.file);
      live = await liveCheck(l, { target: opts.target, allowRemote: opts.allowRemote === true }, { ...(sdk ? { goMiddleware: sdk } : {}), contractFile: l.file, ...(json ? { contractJson: { file: json.file, current: json.current } } : {}) });
      diagnostics.push(...live.diagnostics);
      notes.push(...liveSummary(live));
    } else notes.push(`  live check: not done, ${l.file} is not a contract sloctl can read (fix the errors above first)`);
  }

  const all = diagnostics.sort(byLocation);
  const failed = hasErrors(all) || (opts.strict === true && all.length > 0);
  if (opts.format === 'json') {
    ctx.stdout(`${JSON.stringify(jsonReport(sources, all, failed, scans, attributed, live, notes), null, 2)}\n`);
  } else {
    const texts = new Map(sources.filter((s) => s.size === undefined).map((s) => [s.file, s.text]));
    // The same finding in many places prints once, with the list of the others.
    const shown = new Map<string, { printed: number; findings: number }>();
    for (const { first, others } of groupFindings(all)) {
      const count = shown.get(first.file) ?? { printed: 0, findings: 0 };
      shown.set(first.file, count);
      count.findings += 1 + others.length;
      if (++count.printed > MAX_PRINTED_PER_FILE) continue;
      const text = renderDiagnostic(first, { sources: texts, color: ctx.color });
      ctx.stderr(`${text}${others.length > 0 ? `\n  ${othersLine(others)}` : ''}\n\n`);
    }
    for (const [file, { printed, findings }] of shown) {
      if (printed > MAX_PRINTED_PER_FILE) ctx.stderr(`${file}: ${pluralize(printed - MAX_PRINTED_PER_FILE, 'more finding')} not shown (the first ${MAX_PRINTED_PER_FILE} are above; \`--format json\` lists all ${findings})\n\n`);
    }
    if (!opts.quiet || failed) ctx.stdout(`${summary(sources, loaded, all, attributed, scans, notes, failed, opts.verbose === true)}\n`);
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

interface Scan {
  label: string;
  result: ScanResult;
  root: string;
  language: 'node' | 'go';
  /** Why this scan ran, when no flag asked for it by name (--project on a Go service). */
  note?: string;
}

/**
 * Why `--project DIR` is a Go service: a go.mod in DIR, or a contract validated here that says
 * `service.runtime: go` (`contract`: the second, which makes the Go scan required). Undefined: not Go.
 */
function goProject(cwd: string, dir: string, loaded: readonly LoadedContract[]): { why: string; contract: boolean } | undefined {
  const goContracts = loaded.filter((l) => l.contract?.service.runtime === 'go').map((l) => l.file);
  const goMod = existsSync(join(resolve(cwd, dir), 'go.mod'));
  if (goContracts.length === 0 && !goMod) return undefined;
  const reasons = [...(goMod ? [`go.mod in ${dir}`] : []), ...(goContracts.length > 0 ? [`${goContracts.join(', ')} ${goContracts.length === 1 ? 'says' : 'say'} service.runtime: go`] : [])];
  return { why: reasons.join(', and '), contract: goContracts.length > 0 };
}

/**
 * Findings located in the code (an outbound call without a timeout, a partial route check) that
 * count against a contract: the contract file (as shown) each one is about.
 */
type Attribution = Map<Diagnostic, string>;

interface CodeCheck {
  diagnostics: Diagnostic[];
  /** Summary lines: the route check per contract, and scan findings left out. */
  notes: string[];
  attributed: Attribution;
}

/**
 * Every metric each contract reads must be registered by the code, and every route it lists;
 * --strict also flags the reverse (metrics and routes of the contract's own code it does not
 * cover). The reverse checks, and the route check, read the code that belongs to each contract
 * (validate-scope.ts); a metric may be registered anywhere under the scanned directories.
 */
function codeCheck(loaded: LoadedContract[], scans: Scan[], strict: boolean, cwd: string): CodeCheck {
  const out: Diagnostic[] = [];
  const notes: string[] = [];
  const attributed: Attribution = new Map();
  const ownership = new Ownership(loaded.filter((l) => l.contract), cwd);
  const ownersOf = (s: Scan, file: string): string[] => {
    const own = ownership.ownersOf(resolve(cwd, s.root), resolve(cwd, s.root, file));
    return own.length > 0 ? own : importersOf(s, file, new Set());
  };
  // A monorepo's workspace package no contract owns, scanned because the service imports it by
  // name (src/scan/ts-workspace.ts), is the code of the services whose files import it: its routes
  // and metrics count for them, as a relative import's would.
  const importersOf = (s: Scan, file: string, seen: Set<string>): string[] => {
    const pkg = s.result.workspacePackages?.find((p) => p.dir !== '' && file.startsWith(`${p.dir}/`));
    if (pkg === undefined || seen.has(pkg.dir) || ownership.contractOf(resolve(cwd, s.root, pkg.dir, 'package.json')) !== undefined) return [];
    seen.add(pkg.dir);
    const out = new Set<string>();
    for (const by of pkg.importedBy) {
      const owners = ownership.ownersOf(resolve(cwd, s.root), resolve(cwd, s.root, by));
      for (const o of owners.length > 0 ? owners : importersOf(s, by, seen)) out.add(o);
    }
    return [...out].sort();
  };
  // Where a contract's own code was looked for: its directory when that is below the scanned one.
  const scopeOf = (l: LoadedContract) => [...new Set(scans.map((s) => ownership.scopeOf(l.file, resolve(cwd, s.root), s.label)))].join(' and ');
  // A scan's findings in the code that belongs to contract `l`, with their files as shown to the user.
  const ownedBy = <T extends { file: string }>(l: LoadedContract, s: Scan, list: readonly T[]) => list.filter((x) => ownersOf(s, x.file).includes(l.file)).map((x) => ({ ...x, file: join(s.root, x.file) }));
  const registered = scans.flatMap((s) => s.result.metrics.map((m) => ({ ...m, file: join(s.root, m.file), owners: ownersOf(s, m.file) })));
  const where = scans.map((s) => s.label).join(' and ');
  const readNames = new Set<string>();
  const bucketsChecked = new Set<string>();
  let missingMetrics = 0;
  for (const l of loaded) {
    if (!l.contract) continue;
    // The registrations that count for this contract: its own code's, and code no contract owns (a
    // shared package). Not another service's: in a monorepo, `validate . --project .` passed a
    // service that registers nothing because its neighbour registers the same SDK series.
    const mine = registered.filter((m) => m.owners.includes(l.file) || (m.owners.length === 0 && ownership.contractOf(resolve(cwd, m.file)) === undefined));
    for (const need of requiredMetrics(l.contract)) {
      const found = findRegistration(need, mine);
      const pos = l.locate(need.path, need.at);
      if (!found) {
        const other = findRegistration(need, registered);
        const elsewhere = other ? ` (${other.file}:${other.line}:${other.col} registers it, in the code of ${other.owners[0] ?? ownership.contractOf(resolve(cwd, other.file)) ?? 'another contract'}: a contract is checked against the code in its own directory and below)` : '';
        if (need.optional) {
          notes.push(`  ${l.file}: ${need.why} ${reads(need)} \`${need.name}\`, which ${other ? `its code under ${scopeOf(l)}` : `the code under ${where}`} does not register${elsewhere}: ${need.optional}`);
          continue;
        }
        missingMetrics++;
        const kind = need.type ? `the ${need.type} ` : '';
        const near = oneEditAway(need.name, mine);
        // The way to register it is the service's runtime's: client_golang for Go, sloctl/sdk or prom-client for Node.
        const fix = need.role
          ? `${registrationHint(l.contract, need)}; or map the role to the metric your code has: \`metrics: { ${need.role}: <name> }\``
          : `${registrationHint(l.contract, need)}, or fix the metric name in the query`;
        const hint = near ? `did you mean \`${near.name}\`? (registered at ${near.file}:${near.line}:${near.col}) Otherwise ${fix}` : fix;
        out.push({ file: l.file, ...pos, severity: 'error', code: 'SLO_METRIC_NOT_REGISTERED', message: `${need.why} ${reads(need)} ${kind}\`${need.name}\`, which ${other ? `its code under ${scopeOf(l)}` : `the code under ${where}`} does not register${elsewhere}`, hint, path: need.path });
        continue;
      }
      readNames.add(found.name);
      // A histogram's or summary's `_count` series is a counter: reading it as one is right.
      const countOf = need.type === 'counter' && need.name === `${found.name}_count` && (found.type === 'histogram' || found.type === 'summary');
      if (need.type && found.type !== 'untyped' && found.type !== need.type && !countOf) {
        out.push({ file: l.file, ...pos, severity: 'error', code: 'SLO_METRIC_TYPE', message: `${need.why} ${reads(need)} \`${need.name}\` as a ${need.type}, but the code registers it as a ${found.type}`, path: need.path, related: [{ file: found.file, line: found.line, col: found.col, message: `registered here (${found.via})` }] });
      }
      // The latency histogram's buckets, where the code states them (client_golang's HistogramOpts): one at every threshold.
      if (need.role === 'requestDuration' && found.buckets && !bucketsChecked.has(l.file)) {
        bucketsChecked.add(l.file);
        const at = found.bucketsAt ?? { line: found.line, col: found.col };
        for (const f of missingBuckets(l.contract, need.name, [found.buckets], `as registered at ${found.file}:${at.line}:${at.col}`, { registeredVia: found.via })) {
          out.push({ file: l.file, ...l.locate(f.path, f.at), severity: f.severity, code: f.code, message: f.message, path: f.path, ...(f.hint ? { hint: f.hint } : {}), related: [{ file: found.file, ...at, message: `the buckets are set here (${found.via})` }] });
        }
      }
      // Buckets the code sets in a way the check cannot read: say so where they are set, rather than nothing.
      const bounds = latencyBounds(l.contract).filter((b) => b.kind === 'threshold');
      if (need.role === 'requestDuration' && found.bucketsUnread !== undefined && bounds.length > 0 && !bucketsChecked.has(l.file)) {
        bucketsChecked.add(l.file);
        const at = found.bucketsAt ?? { line: found.line, col: found.col };
        const wanted = mergeBounds(bounds.map((b) => b.seconds), []).map((x) => String(+x.toPrecision(12))).join(', ');
        const target = l.contract.target?.url ?? '<url>';
        out.push({
          file: found.file, ...at, severity: 'warning', code: 'SLO_SCAN',
          message: `the Buckets of \`${found.name}\` cannot be read statically (${found.bucketsUnread}), so the code check did not check for a bucket at each latency threshold of ${l.file} (${wanted} s)`,
          hint: `check the running service: \`sloctl validate ${l.file} --target ${target}\` reads its buckets from /metrics; or write them where sloctl can read them (a []float64{...} of numbers, prometheus.DefBuckets, LinearBuckets/ExponentialBuckets of constants, or a variable set to one of these)`,
        });
      }
    }
  }

  // The labels each contract maps, on the registrations that state theirs (a literal labelNames,
  // a Vec's []string, the SDK's own): the one a contract's own code makes, else any.
  for (const l of loaded) {
    if (!l.contract) continue;
    const observed: LabelsObserved[] = [];
    const sites = new Map<string, Related[]>();
    for (const need of labelNeeds(l.contract)) {
      const matches = registered.filter((r) => findRegistration({ name: need.metric, type: need.type }, [r]) !== undefined);
      const mine = matches.filter((r) => r.owners.includes(l.file));
      const candidates = mine.length > 0 ? mine : matches;
      if (candidates.length === 0 || candidates.some((r) => r.labels === undefined)) continue;
      // Two registrations of one name (two services, one repository): a label either has counts as there.
      observed.push({ metric: need.metric, keys: need.keys, present: new Set(candidates.flatMap((r) => r.labels!)) });
      sites.set(need.metric, candidates.map((r) => ({ file: r.file, ...(r.labelsAt ?? { line: r.line, col: r.col }), message: `\`${r.name}\` is registered with these labels (${r.via})` })));
    }
    for (const f of missingLabels(l.contract, observed, `in the code under ${where}`)) {
      out.push({ file: l.file, ...l.locate(f.path, f.at), severity: f.severity, code: f.code, message: f.message, path: f.path, ...(f.hint ? { hint: f.hint } : {}), related: f.metrics.flatMap((m) => sites.get(m) ?? []) });
    }
  }

  // Routes, per contract, against the code that belongs to it.
  for (const l of loaded) {
    if (!l.contract) continue;
    const mine = <T extends { file: string }>(s: Scan, list: readonly T[]) => ownedBy(l, s, list);
    const routes = scans.flatMap((s) => mine(s, s.result.routes));
    const unresolved = scans.flatMap((s) => mine(s, s.result.unresolvedRoutes));
    const strips = scans.flatMap((s) => mine(s, s.result.warnings.filter((w) => w.about === 'slash-strip')));
    const check = checkRoutes(l, routes, unresolved, scopeOf(l), strict, routes.length + unresolved.length === 0 ? routesElsewhere(l, scans, ownership, ownersOf, cwd) : '', strips);
    for (const d of check.diagnostics) if (d.file !== l.file) attributed.set(d, l.file);
    out.push(...check.diagnostics);
    notes.push(check.summary);
    // The SDK's health and metrics paths, where its Hono middleware runs.
    out.push(...checkSdkPaths(l, scans.flatMap((s) => mine(s, s.result.sdkScopes)), routes));
  }

  // Outbound HTTP calls without a timeout, per contract, against the code that belongs to it.
  notes.push(...checkTimeouts(loaded, scans, ownersOf, scopeOf, out, attributed));
  // Clients that wait longer than their dependency's contract timeout.
  checkTimeoutBounds(loaded, scans, ownersOf, out, attributed);

  // The dependencies the code names through sloctl's SDK, per contract: the SDK refuses at start a
  // name its contract does not declare; and a declared one the code never names goes unreported.
  for (const l of loaded) {
    if (!l.contract) continue;
    const mine = <T extends { file: string }>(s: Scan, list: readonly T[]) => ownedBy(l, s, list);
    const namedPerScan = scans.map((s) => mine(s, s.result.sdkDependencies));
    const named = namedPerScan.flat();
    const check = checkDependencyNames(l, named, scopeOf(l));
    for (const d of check.diagnostics) attributed.set(d, l.file);
    out.push(...check.diagnostics);
    if (check.summary !== undefined) notes.push(check.summary);
    // The SDK's language: the scan whose code names a dependency through it, else switches it on.
    const sdkMetricsPerScan = scans.map((s) => mine(s, s.result.metrics.filter((m) => m.bulk === 'sdk')));
    const sdkMetrics = sdkMetricsPerScan.flat();
    const lang = scans.find((_, i) => namedPerScan[i].length > 0) ?? scans.find((_, i) => sdkMetricsPerScan[i].length > 0) ?? scans[0];
    const unnamed = checkUnnamedDependencies(l, {
      metrics: sdkMetrics, named, unfollowed: scans.flatMap((s) => mine(s, s.result.unfollowedDependencyCalls)), warnings: scans.flatMap((s) => mine(s, s.result.warnings)), sdkSite: sdkMetrics[0],
    }, lang.language, scopeOf(l));
    out.push(...unnamed.diagnostics);
    if (unnamed.summary !== undefined) notes.push(unnamed.summary);
  }

  // sloctl's SDK middleware mounted after a route on the same app, in a validated contract's code.
  for (const s of scans) {
    for (const o of s.result.sdkOrder) if (ownersOf(s, o.file).length > 0) out.push(sdkOrderFinding(o, join(s.root, o.file), o.router && join(s.root, o.router.file)));
  }
  // Error classes by name or code on Express without the adapter's errorHandler, per contract.
  for (const l of loaded) {
    for (const s of scans) {
      const use = s.result.expressSdk;
      if (use?.middleware === undefined || !ownersOf(s, use.middleware.file).includes(l.file)) continue;
      const d = expressErrorsFinding(l, { ...use, middleware: { ...use.middleware, file: join(s.root, use.middleware.file) } });
      if (d !== undefined) out.push(d);
    }
  }

  // A drain action without sdk.serve(server), per Node contract: instrument() in its own code, and
  // a `serve` call neither in its code nor in code no contract owns (a shared package).
  for (const l of loaded) {
    if (!l.contract) continue;
    const node = scans.filter((s) => s.language === 'node');
    const instruments = node.flatMap((s) => ownedBy(l, s, s.result.sdkInstruments ?? []));
    const serves = node.flatMap((s) => (s.result.serveCalls ?? []).filter((x) => {
      const owners = ownersOf(s, x.file);
      return owners.includes(l.file) || (owners.length === 0 && ownership.contractOf(resolve(cwd, s.root, x.file)) === undefined);
    }));
    const d = drainNotServedFinding(l, instruments, serves);
    if (d !== undefined) out.push(d);
  }

  // What the scanners could not read: always for a contract's own code; elsewhere only when a
  // metric is missing (it may be why), else counted in the summary.
  let leftOut = 0;
  for (const s of scans) {
    for (const w of s.result.warnings) {
      if (ownersOf(s, w.file).length === 0 && missingMetrics === 0) {
        leftOut++;
        continue;
      }
      out.push({ file: join(s.root, w.file), line: w.line, col: w.col, severity: 'warning', code: 'SLO_SCAN', message: w.message });
    }
  }
  if (leftOut > 0) notes.push(`  ${pluralize(leftOut, 'scan warning')} in files outside the validated contracts' directories not shown (no metric is missing, and no validated contract owns those files)`);

  if (strict) {
    for (const m of registered) {
      // The SDK's series and the runtime's default collectors come with one call, not one by one.
      if (readNames.has(m.name) || m.bulk !== undefined || m.owners.length === 0 || !looksLikeSli(m)) continue;
      out.push({ file: m.file, line: m.line, col: m.col, severity: 'warning', code: 'SLO_METRIC_UNCOVERED', message: `\`${m.name}\` (${m.type}) looks like an SLI, but no contract reads it`, hint: 'add an objective or a custom SLI that uses it, or drop the metric' });
    }
  }
  return { diagnostics: out, notes, attributed };
}

/**
 * When a contract's own code registers no route: the registrations the scan found outside it, and
 * the contracts they belong to (the nearest slo.yaml above each file), so the reader sees why they
 * were not compared (`validate bad/route.yaml --project .` checks the code under bad/).
 */
function routesElsewhere(l: LoadedContract, scans: Scan[], ownership: Ownership, ownersOf: (s: Scan, file: string) => string[], cwd: string): string {
  let count = 0;
  const owners = new Set<string>();
  for (const s of scans) {
    for (const r of [...s.result.routes, ...s.result.unresolvedRoutes]) {
      if (ownersOf(s, r.file).includes(l.file)) continue;
      count++;
      const owner = ownership.contractOf(resolve(cwd, s.root, r.file));
      if (owner !== undefined) owners.add(owner);
    }
  }
  if (count === 0) return '';
  const labels = scans.map((s) => s.label).join(' and ');
  const whose = owners.size > 0 ? `belong to ${[...owners].sort().join(' and ')}` : 'belong to no contract validated here';
  return `; the ${pluralize(count, 'route registration')} elsewhere under ${labels} ${whose} (each file belongs to the contract nearest above it: a contract is checked against the code in its own directory and below)`;
}

/**
 * The static half of the dependencies contract: with `objectives.dependencies.requireTimeout`
 * (default true once the section is declared), every outbound HTTP call or client without a
 * timeout in a contract's own code is an error, located in the code, as a metric the contract
 * reads and the code does not register is: the code breaks a promise the contract makes, and
 * sloctl saw it do so (calls whose options it cannot see are not reported; see
 * src/scan/ts-timeouts.ts). A contract without the section, or with `requireTimeout: false`,
 * gets a summary line instead, so the calls are not silently ignored.
 */
function checkTimeouts(loaded: LoadedContract[], scans: Scan[], ownersOf: (s: Scan, file: string) => string[], scopeOf: (l: LoadedContract) => string, out: Diagnostic[], attributed: Attribution): string[] {
  const notes: string[] = [];
  const byFile = new Map(loaded.filter((l) => l.contract).map((l) => [l.file, l]));
  const notRequired = new Map<string, number>();
  const found = new Map<string, number>();
  // Calls in code no contract owns (a monorepo's shared packages/lib, imported by two services):
  // no contract's check counts them, and "every call has a timeout" alone read as if they were fine.
  const unowned: string[] = [];
  for (const s of scans) {
    for (const u of s.result.untimedClients) {
      const owners = ownersOf(s, u.file);
      if (owners.length === 0) unowned.push(`${join(s.root, u.file)}:${u.line}:${u.col} \`${u.call}\``);
      for (const owner of owners) {
        const l = byFile.get(owner)!;
        const c = l.contract!;
        if (c.objectives.dependencies?.requireTimeout !== true) {
          notRequired.set(owner, (notRequired.get(owner) ?? 0) + 1);
          continue;
        }
        found.set(owner, (found.get(owner) ?? 0) + 1);
        const dep = dependencyOf(u, c.dependencies);
        const may = dep ? ` (it may be dependency "${dep.name}", whose contract timeout is ${formatDuration(dep.timeout)})` : '';
        const related = [{ file: l.file, ...l.locate(['objectives', 'dependencies']), message: 'the dependencies contract requires a timeout on every outbound call' }];
        if (dep) related.push({ file: l.file, ...l.locate(['dependencies', c.dependencies.indexOf(dep), 'timeout']), message: `dependency "${dep.name}" times out after ${formatDuration(dep.timeout)}` });
        const d: Diagnostic = { file: join(s.root, u.file), line: u.line, col: u.col, severity: 'error', code: TIMEOUT_CODE, message: `\`${u.call}\` (${u.via}) has no timeout${may}: a slow dependency holds the request as long as it likes`, hint: u.fix, related };
        out.push(d);
        attributed.set(d, owner);
      }
    }
  }
  for (const l of byFile.values()) {
    if (l.contract!.objectives.dependencies?.requireTimeout !== true) continue;
    const n = found.get(l.file) ?? 0;
    const where = scopeOf(l);
    notes.push(`  timeout check (${l.file}): ${n === 0 ? 'every outbound HTTP call sloctl can read in its code under ' + where + ' has a timeout' : `${pluralize(n, 'outbound HTTP call')} without a timeout in its code under ${where}`}`);
  }
  if (unowned.length > 0) {
    const shown = unowned.length > 3 ? `${unowned.slice(0, 3).join(', ')} (and ${unowned.length - 3} more)` : unowned.join(', ');
    notes.push(`  timeout check: ${pluralize(unowned.length, 'outbound HTTP call')} without a timeout in code no contract owns (no slo.yaml at or above it), not checked against any contract: ${shown}; a service that imports that code makes ${unowned.length === 1 ? 'it' : 'them'} with no timeout`);
  }
  for (const [file, n] of notRequired) {
    const why = byFile.get(file)!.contract!.objectives.dependencies ? 'its dependencies contract sets `requireTimeout: false`' : 'it declares no dependencies contract (`objectives.dependencies`)';
    notes.push(`  ${file}: ${pluralize(n, 'outbound HTTP call')} without a timeout in its code, not checked: ${why}`);
  }
  return notes;
}

/**
 * A client whose timeout in the code (one sloctl can read: `AbortSignal.timeout(80)`, `timeout:
 * 80`, Go's `Timeout: 80 * time.Millisecond`) is longer than the contract timeout of the dependency
 * it calls: the contract's `timeout` is the client timeout the code uses (init says so), and what
 * is built on it (the routes' latency budget, accept's bound on a route whose dependency hangs,
 * drills) assumes a call gives up by then. A Go user trial declared 50ms over an 80ms client, and
 * accept's blackhole check, with its 250 ms margin, did not catch it. Only a client whose own text
 * names the dependency (its env variable, address or name: not the file it is in), and only longer:
 * a shorter per-call timeout can be one attempt of several within the contract's.
 */
function checkTimeoutBounds(loaded: LoadedContract[], scans: Scan[], ownersOf: (s: Scan, file: string) => string[], out: Diagnostic[], attributed: Attribution): void {
  const byFile = new Map(loaded.filter((l) => l.contract).map((l) => [l.file, l]));
  for (const s of scans) {
    for (const t of s.result.timedClients) {
      const ms = codeTimeout([t]);
      if (ms === undefined) continue;
      for (const owner of ownersOf(s, t.file)) {
        const l = byFile.get(owner)!;
        const c = l.contract!;
        const dep = dependencyOf(t, c.dependencies, false);
        if (dep === undefined || !(ms > dep.timeout)) continue;
        const at = ['dependencies', c.dependencies.indexOf(dep), 'timeout'];
        const d: Diagnostic = {
          file: join(s.root, t.file), line: t.line, col: t.col, severity: 'warning', code: 'SLO_DEPENDENCY_TIMEOUT_LONGER',
          message: `\`${t.call}\` (${t.via}) waits up to ${formatDuration(ms)} for dependency "${dep.name}" (its code names it: ${JSON.stringify(t.target)}), longer than the ${formatDuration(dep.timeout)} its contract gives it: the contract's timeout is the client timeout the code uses, and the routes' latency budgets and accept's check of a hanging dependency assume a call gives up by then`,
          hint: `set the client's timeout to ${formatDuration(dep.timeout)}, or dependencies[${c.dependencies.indexOf(dep)}].timeout to ${formatDuration(ms)}`,
          related: [{ file: l.file, ...l.locate(at), message: `dependency "${dep.name}" times out after ${formatDuration(dep.timeout)}` }],
        };
        out.push(d);
        attributed.set(d, owner);
      }
    }
  }
}

// A finding in the code against the contract's dependencies section, with a code of its own so
// scripts and CI annotations can key on it.
const TIMEOUT_CODE = 'SLO_DEPENDENCY_TIMEOUT';

/** A registered metric (or one of its series) one edit away from a name the contract reads: a likely typo. */
function oneEditAway<T extends { name: string; type: RegisteredName['type'] }>(name: string, registered: readonly T[]): T | undefined {
  for (const r of registered) {
    const names = r.type === 'untyped' ? [r.name] : [r.name, ...seriesNamesOf(r.name, r.type)];
    if (names.some((n) => Math.abs(n.length - name.length) <= 1 && editDistance(n, name) === 1)) return r;
  }
  return undefined;
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

/** The errors that count against contract `file`: its own, and those in its code (attributed to it). */
function errorsOf(file: string, all: readonly Diagnostic[], attributed: Attribution): { own: number; code: Diagnostic[] } {
  let own = 0;
  const code: Diagnostic[] = [];
  for (const d of all) {
    if (d.severity !== 'error') continue;
    if (d.file === file) own++;
    else if (attributed.get(d) === file) code.push(d);
  }
  return { own, code };
}

function summary(sources: Source[], loaded: LoadedContract[], all: Diagnostic[], attributed: Attribution, scans: Array<{ label: string; result: ScanResult; note?: string }>, notes: string[], failed: boolean, verbose: boolean): string {
  const errors = all.filter((d) => d.severity === 'error').length;
  const warnings = all.length - errors;
  const lines: string[] = [];
  for (const l of loaded) {
    const { own, code } = errorsOf(l.file, all, attributed);
    const ok = own + code.length === 0;
    if (ok && l.contract) {
      const c = l.contract;
      const sections = Object.keys(c.objectives).filter((k) => (c.objectives as Record<string, unknown>)[k] !== undefined);
      lines.push(`✓ ${l.file}: service "${c.service.name}", ${pluralize(sloNames(c).length, 'SLO')}, ${sections.length}/11 contracts (${sections.join(', ') || 'none'}), ${pluralize(c.routes.length, 'route')}, ${pluralize(c.dependencies.length, 'dependency', 'dependencies')}`);
      if (verbose) lines.push(...describeContract(c).map((line) => `    ${line}`));
    } else {
      // Errors in its code count against it too (an outbound call without the timeout it requires).
      const files = [...new Set(code.map((d) => d.file))];
      const inCode = code.length > 0 ? ` (${own} in the contract, ${code.length} in its code: ${files.slice(0, 3).join(', ')}${files.length > 3 ? ', …' : ''})` : '';
      lines.push(`✗ ${l.file}: ${pluralize(own + code.length, 'error')}${inCode}`);
    }
  }
  for (const s of scans) {
    // By name: two programs of one service that each call instrument() (the server, a script)
    // register the same metrics, which are not twice as many.
    const distinct = (runtime: boolean) => new Set(s.result.metrics.filter((m) => (m.bulk === 'runtime') === runtime).map((m) => m.name)).size;
    const defaults = distinct(true);
    const others = s.result.otherPrograms ?? [];
    let left = others.length > 0 ? `; left out, programs of their own (a package main below the service's): ${others.map((d) => `${d}/`).join(', ')}` : '';
    // Nothing registered outside the build output: the code may be only there (a deployed copy), so say it was not read.
    for (const b of s.result.buildOutput ?? []) left += `; left out, build output: ${b.dir}/ (${pluralize(b.files, 'source file')}); if the code is only there, check it by name: --project ${join(s.label, b.dir)}`;
    lines.push(`  code check: ${pluralize(distinct(false), 'metric')} registered in ${pluralize(s.result.filesScanned, 'file')} under ${s.label}${defaults ? `, plus ${pluralize(defaults, 'runtime default')}` : ''}${s.note ? ` (${s.note})` : ''}${left}`);
  }
  lines.push(...notes);
  if (sources.length === 0) lines.push('no staged contract files to validate');
  lines.push(`${failed ? 'invalid' : 'valid'}: ${pluralize(sources.length, 'file')}, ${pluralize(errors, 'error')}, ${pluralize(warnings, 'warning')}`);
  return lines.join('\n');
}

/** A finding's file (as shown) is under the scanned directory (as given): `metrics.go` is under `.`. */
function isInside(dir: string, file: string): boolean {
  const rel = relative(dir, file);
  return rel !== '' && !rel.startsWith('..') && !isAbsolute(rel);
}

/** The summary lines of the live check: what was read, then its notes. */
function liveSummary(live: LiveCheck): string[] {
  const h = live.facts.histogram;
  const hist = h ? `; \`${h.name}\` has ${h.series} series with buckets ${h.buckets.map((b) => (b === Infinity ? '+Inf' : String(b))).join(', ')}` : '';
  return [`  live check: ${live.series} series scraped from ${live.url}${hist}`, ...live.facts.notes];
}

// `notes`: the summary lines of the text output (each contract's route, timeout and dependency-name
// check, a check not done and why, calls no contract owns): without them a CI job reading the JSON
// could not tell a check that passed from one that was skipped.
function jsonReport(sources: Source[], all: Diagnostic[], failed: boolean, scans: Array<{ label: string; result: ScanResult }>, attributed: Attribution, live?: LiveCheck, notes: readonly string[] = []) {
  return {
    valid: !failed,
    files: sources.map((s) => {
      const { own, code } = errorsOf(s.file, all, attributed);
      return { file: s.file, valid: own + code.length === 0, diagnostics: all.filter((d) => d.file === s.file), ...(code.length > 0 ? { codeErrors: code.length } : {}) };
    }),
    codeCheck: scans.map((s) => ({ dir: s.label, filesScanned: s.result.filesScanned, metrics: s.result.metrics.length, routes: s.result.routes.length, unresolvedRoutes: s.result.unresolvedRoutes.length, untimedClients: s.result.untimedClients.length, sdkDependencies: s.result.sdkDependencies.length, ...(s.result.otherPrograms ? { otherPrograms: s.result.otherPrograms } : {}), diagnostics: all.filter((d) => d.code === 'SLO_SCAN' || d.code === 'SLO_METRIC_UNCOVERED' || d.code === 'SLO_ROUTE_PARTIAL' || d.code === 'SLO_SDK_ORDER' || ((d.code === TIMEOUT_CODE || d.code === 'SLO_DEPENDENCY_TIMEOUT_LONGER' || d.code === 'SLO_DEPENDENCY_UNDECLARED') && !sources.some((src) => src.file === d.file))).filter((d) => isInside(s.label, d.file)) })),
    ...(live ? { liveCheck: { url: live.url, series: live.series, histogram: live.facts.histogram ? { ...live.facts.histogram, buckets: live.facts.histogram.buckets.map((b) => (b === Infinity ? '+Inf' : b)) } : null, notes: live.facts.notes.map((n) => n.trim()) } } : {}),
    ...(notes.length > 0 ? { notes: notes.map((n) => n.trim()) } : {}),
    summary: { files: sources.length, errors: all.filter((d) => d.severity === 'error').length, warnings: all.filter((d) => d.severity === 'warning').length },
  };
}
