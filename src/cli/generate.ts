// `sloctl generate prometheus [FILE...]`, `sloctl generate grafana [FILE...]` and `sloctl generate
// contract [FILE...]` (FILE: default ./slo.yaml): the contract as Prometheus recording and alerting
// rules, as a Grafana dashboard, or as normalized JSON for another runtime's SDK (the Go
// middleware in go/). One contract: stdout or -o. Several (a monorepo's services), or --out-dir:
// one file per contract, beside it or in the directory. Exit 0 written; 2 a usage error or an
// invalid contract (the located diagnostics on stderr; nothing written for that contract, the
// others' files are).
import { statSync } from 'node:fs';
import { basename, dirname, extname, join, relative, resolve, sep } from 'node:path';
import type { Command } from 'commander';
import { byLocation, hasErrors } from '../contract/diagnostic.ts';
import { parseContract } from '../contract/load.ts';
import type { Contract } from '../contract/schema.ts';
import { renderContractJson } from '../emit/contract-json.ts';
import { renderGrafanaDashboard } from '../emit/grafana.ts';
import { renderPrometheusRules, type RulesFormat } from '../emit/prometheus.ts';
import { InvalidContractError, UsageError, type CliContext } from './exit.ts';
import { contractArgument, printDiagnostics, readInputFile, writeAtomically, writeOutput } from './files.ts';
import { pluralize } from './plural.ts';
import { checkSelectorFlag, selectorFor } from './selector-option.ts';
import { everyJobWarning } from './selector-warning.ts';

interface CommonOptions {
  output?: string;
  outDir?: string;
  selector?: string;
}

interface PrometheusFlags extends CommonOptions {
  format: string;
  namespace?: string;
}

const FORMATS: readonly RulesFormat[] = ['rules', 'operator'];

/** What one contract renders to: the text, what it is (for the "wrote" line), and notes/warnings to print. */
interface Rendered {
  text: string;
  what: string;
  messages: string[];
}

const FILES_ARGUMENT = 'the contracts (default: ./slo.yaml); several (svc-a/slo.yaml svc-b/slo.yaml, or a glob the shell expands) write one file each, beside each contract or into --out-dir';
const OUT_DIR_OPTION = 'write one file per contract into DIR (named after each contract\'s path, e.g. svc-a/slo.yaml -> svc-a.rules.yaml) instead of beside each contract';

export function register(program: Command, ctx: CliContext): void {
  const generate = program
    .command('generate')
    .description('Turn a contract into Prometheus rules, a Grafana dashboard, or normalized JSON for the Go middleware.');

  generate
    .command('prometheus')
    .description('Recording rules and multiwindow multi-burn-rate alerts (page and ticket) for every SLO of the contract.')
    .argument('[files...]', FILES_ARGUMENT)
    .option('--format <format>', 'rules (a Prometheus rules file) or operator (a prometheus-operator PrometheusRule)', 'rules')
    .option('--namespace <ns>', 'metadata.namespace of the PrometheusRule (with --format operator)')
    .option('--selector <matchers>', 'label matchers added to every built-in SLI selector, e.g. \'job="checkout"\' (default: the contract\'s metrics.selector)')
    .option('-o, --output <file>', 'write to FILE (atomically) instead of stdout (one contract)')
    .option('--out-dir <dir>', OUT_DIR_OPTION)
    .action((files: string[], opts: PrometheusFlags) => {
      if (!FORMATS.includes(opts.format as RulesFormat)) throw new UsageError(`--format must be rules or operator, got "${opts.format}"`);
      if (opts.namespace !== undefined && opts.format !== 'operator') throw new UsageError('--namespace applies to --format operator only');
      checkSelectorFlag(opts.selector);
      const suffix = opts.format === 'operator' ? '.prometheusrule.yaml' : '.rules.yaml';
      generateEach(ctx, files, opts, 'prometheus', suffix, (loaded) => {
        const selector = selectorFor(loaded.contract, opts.selector);
        const { text, rules } = renderPrometheusRules(loaded.contract, {
          format: opts.format as RulesFormat,
          namespace: opts.namespace,
          selector,
          source: loaded.shown,
        });
        const messages = rules.warnings.map((w) => `note: ${w}`);
        const every = everyJobWarning(loaded.contract, selector, 'the rules', `another service's requests count in ${loaded.contract.service.name}'s SLOs, and the SLIMissing alerts never fire while any of them is scraped`, { flag: files.length <= 1 });
        if (every !== undefined) messages.push(`warning: ${every}`);
        const total = rules.counts.reduce((n, s) => n + s.recording + s.alerting, 0);
        return { text, what: `${pluralize(rules.groups.length, 'SLO group')}, ${pluralize(total, 'rule')}`, messages };
      });
    });

  generate
    .command('grafana')
    .description('A Grafana dashboard (JSON) with one row per SLO, reading the generated recording rules.')
    .argument('[files...]', FILES_ARGUMENT)
    .option('--selector <matchers>', 'label matchers added to the raw histogram and counter selectors, e.g. \'job="checkout"\' (default: the contract\'s metrics.selector)')
    .option('-o, --output <file>', 'write to FILE (atomically) instead of stdout (one contract)')
    .option('--out-dir <dir>', OUT_DIR_OPTION)
    .action((files: string[], opts: CommonOptions) => {
      checkSelectorFlag(opts.selector);
      generateEach(ctx, files, opts, 'grafana', '.dashboard.json', (loaded) => {
        const selector = selectorFor(loaded.contract, opts.selector);
        const { text, warnings } = renderGrafanaDashboard(loaded.contract, { selector });
        const messages = warnings.map((w) => `note: ${w}`);
        const every = everyJobWarning(loaded.contract, selector, "the dashboard's raw panels", `another service's requests show in ${loaded.contract.service.name}'s panels`, { flag: files.length <= 1 });
        if (every !== undefined) messages.push(`warning: ${every}`);
        return { text, what: 'dashboard', messages };
      });
    });

  generate
    .command('contract')
    .description('The contract as normalized JSON (durations in ms, ratios 0..1, defaults applied, buckets and thresholds resolved): what the Go middleware (go/sloctl) reads.')
    .argument('[files...]', FILES_ARGUMENT)
    .option('-o, --output <file>', 'write to FILE (atomically) instead of stdout (one contract)')
    .option('--out-dir <dir>', OUT_DIR_OPTION)
    .action((files: string[], opts: CommonOptions) => {
      // Beside its contract, svc/slo.yaml's JSON is svc/slo.json: the name validate checks for drift.
      generateEach(ctx, files, opts, 'contract', '.json', (loaded) => ({ text: renderContractJson(loaded.contract, { source: loaded.shown }), what: 'contract JSON', messages: [] }));
    });
}

/**
 * One contract, no --out-dir: stdout or -o, as always (an invalid contract: exit 2, nothing
 * written). Several, or --out-dir: one file per contract, beside it (svc-a/slo.yaml ->
 * svc-a/slo<suffix>) or in DIR (svc-a<suffix>); an invalid or unreadable contract is reported
 * and skipped, the others are still written, and the run ends with exit 2 naming the ones that
 * failed (a CI job generating every service's rules lost all of them to one typo).
 */
function generateEach(ctx: CliContext, files: string[], opts: CommonOptions, what: string, suffix: string, render: (loaded: { contract: Contract; shown: string }) => Rendered): void {
  if (files.length <= 1 && opts.outDir === undefined) {
    const loaded = load(ctx, files[0], what);
    const r = render(loaded);
    for (const m of r.messages) ctx.stderr(`sloctl: ${m}\n`);
    emit(ctx, r.text, opts.output, r.what);
    return;
  }
  if (opts.output !== undefined) {
    if (files.length > 1) throw new UsageError(`-o names one output file, and ${files.length} contracts were given: leave -o out to write each output beside its contract, or use --out-dir DIR`);
    throw new UsageError('-o FILE and --out-dir DIR both say where to write: use one');
  }
  if (opts.selector !== undefined && files.length > 1) {
    throw new UsageError(`--selector applies to one contract (a job selector is one service's), and ${files.length} were given: set each contract's metrics.selector, or run once per contract`);
  }
  if (opts.outDir !== undefined) {
    let isDir = false;
    try {
      isDir = statSync(resolve(ctx.cwd, opts.outDir)).isDirectory();
    } catch {
      /* said below */
    }
    if (!isDir) throw new UsageError(`--out-dir ${opts.outDir}: not a directory; create it first`);
  }
  const inputs = files.length === 0 ? [contractArgument(ctx.cwd, undefined, `sloctl generate ${what}`)] : files;
  // Every output path is settled before anything is written: two contracts that would write one
  // file are a usage error, not a file that holds whichever came last.
  const planned = new Map<string, { input: string; out: string; shown: string }>();
  const seen = new Set<string>();
  for (const input of inputs) {
    const abs = resolve(ctx.cwd, input);
    if (seen.has(abs)) continue; // the same file twice (a glob and its name): once
    seen.add(abs);
    const out = outputPath(ctx.cwd, abs, suffix, opts.outDir);
    const shown = relative(ctx.cwd, out) || basename(out);
    if (out === abs) throw new UsageError(`${input}: its output would be written over it (${shown}); rename the contract, or use --out-dir DIR`);
    const had = planned.get(out);
    if (had) throw new UsageError(`${had.input} and ${input} would both be written to ${shown}: ${opts.outDir === undefined ? 'give them different names, or use --out-dir DIR' : 'run them with different --out-dir directories'}`);
    planned.set(out, { input, out, shown });
  }
  const failed: string[] = [];
  let written = 0;
  for (const { input, out, shown } of planned.values()) {
    let loaded;
    try {
      loaded = parse(ctx, input, what);
    } catch (e) {
      if (!(e instanceof UsageError)) throw e;
      ctx.stderr(`sloctl: ${e.message}\n`);
      failed.push(`${input} (cannot be read)`);
      continue;
    }
    if (loaded.contract === undefined) {
      failed.push(`${loaded.shown} (${pluralize(loaded.errors, 'error')} above)`);
      continue;
    }
    const r = render(loaded);
    for (const m of r.messages) ctx.stderr(`sloctl: ${loaded.shown}: ${m}\n`);
    writeAtomically(out, r.text, shown);
    written++;
    ctx.stderr(`sloctl: wrote ${r.what} for ${loaded.shown} to ${shown}\n`);
  }
  if (failed.length > 0) {
    throw new InvalidContractError(`${failed.length} of ${pluralize(planned.size, 'contract')} failed, nothing written for ${failed.length === 1 ? 'it' : 'them'}: ${failed.join(', ')}; ${written === 0 ? 'nothing was written' : `the other ${written} ${written === 1 ? 'was' : 'were'} written`}`);
  }
}

/**
 * Where a contract's output goes: beside it (svc-a/slo.yaml -> svc-a/slo.rules.yaml), or in
 * --out-dir under a name made of its path from the working directory, so that every service's
 * slo.yaml gets its own (svc-a/slo.yaml -> svc-a.rules.yaml; contracts/checkout.yaml ->
 * contracts-checkout.rules.yaml; ./slo.yaml -> slo.rules.yaml).
 */
function outputPath(cwd: string, abs: string, suffix: string, outDir: string | undefined): string {
  const stem = basename(abs, extname(abs));
  if (outDir === undefined) return join(dirname(abs), `${stem}${suffix}`);
  const dirs = relative(cwd, dirname(abs)).split(sep).filter((d) => d !== '' && d !== '.' && d !== '..');
  const parts = dirs.length > 0 && (stem === 'slo') ? dirs : [...dirs, stem];
  return join(resolve(cwd, outDir), `${parts.join('-')}${suffix}`);
}

/**
 * Reads and parses the contract (FILE, else ./slo.yaml); its warnings and errors are printed
 * located. `errors`: how many errors it has when it is not a contract to generate from.
 */
function parse(ctx: CliContext, file: string | undefined, what: string): { contract: Contract; shown: string } | { contract?: undefined; shown: string; errors: number } {
  const input = readInputFile(ctx, contractArgument(ctx.cwd, file, `sloctl generate ${what}`), 'name the slo.yaml file');
  const { shown, text } = input;
  const loaded = parseContract(text, shown);
  const diagnostics = [...loaded.diagnostics].sort(byLocation);
  printDiagnostics(ctx, diagnostics, input);
  if (!loaded.contract || hasErrors(diagnostics)) return { shown, errors: diagnostics.filter((d) => d.severity === 'error').length };
  return { contract: loaded.contract, shown };
}

/** The contract, or exit 2 (nothing generated) when it is invalid. `what` is the subcommand, for the usage line. */
function load(ctx: CliContext, file: string | undefined, what: string): { contract: Contract; shown: string } {
  const parsed = parse(ctx, file, what);
  if (parsed.contract === undefined) throw new InvalidContractError(`${parsed.shown} is not a valid contract (${pluralize(parsed.errors, 'error')} above); nothing generated`);
  return parsed;
}

/** stdout, or OUT written atomically, saying what was written. */
function emit(ctx: CliContext, text: string, output: string | undefined, what: string): void {
  if (writeOutput(ctx, text, output)) ctx.stderr(`sloctl: wrote ${what} to ${output}\n`);
}
