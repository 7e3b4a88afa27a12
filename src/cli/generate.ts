// `sloctl generate prometheus [FILE]`, `sloctl generate grafana [FILE]` and `sloctl generate
// contract [FILE]` (FILE: default ./slo.yaml): the contract as Prometheus recording and alerting
// rules, as a Grafana dashboard, or as normalized JSON for another runtime's SDK (the Go
// middleware in go/). Exit 0 written; 2 a usage error or an invalid contract (the located
// diagnostics on stderr, nothing written).
import type { Command } from 'commander';
import { byLocation, hasErrors } from '../contract/diagnostic.ts';
import { parseContract } from '../contract/load.ts';
import type { Contract } from '../contract/schema.ts';
import { renderContractJson } from '../emit/contract-json.ts';
import { renderGrafanaDashboard } from '../emit/grafana.ts';
import { renderPrometheusRules, type RulesFormat } from '../emit/prometheus.ts';
import { InvalidContractError, UsageError, type CliContext } from './exit.ts';
import { contractArgument, printDiagnostics, readInputFile, writeOutput } from './files.ts';
import { pluralize } from './plural.ts';
import { checkSelectorFlag, selectorFor } from './selector-option.ts';
import { everyJobWarning } from './selector-warning.ts';

interface CommonOptions {
  output?: string;
  selector?: string;
}

interface PrometheusFlags extends CommonOptions {
  format: string;
  namespace?: string;
}

const FORMATS: readonly RulesFormat[] = ['rules', 'operator'];

export function register(program: Command, ctx: CliContext): void {
  const generate = program
    .command('generate')
    .description('Turn a contract into Prometheus rules, a Grafana dashboard, or normalized JSON for the Go middleware.');

  generate
    .command('prometheus')
    .description('Recording rules and multiwindow multi-burn-rate alerts (page and ticket) for every SLO of the contract.')
    .argument('[file]', 'the contract (default: ./slo.yaml)')
    .option('--format <format>', 'rules (a Prometheus rules file) or operator (a prometheus-operator PrometheusRule)', 'rules')
    .option('--namespace <ns>', 'metadata.namespace of the PrometheusRule (with --format operator)')
    .option('--selector <matchers>', 'label matchers added to every built-in SLI selector, e.g. \'job="checkout"\' (default: the contract\'s metrics.selector)')
    .option('-o, --output <file>', 'write to FILE (atomically) instead of stdout')
    .action((file: string | undefined, opts: PrometheusFlags) => {
      if (!FORMATS.includes(opts.format as RulesFormat)) throw new UsageError(`--format must be rules or operator, got "${opts.format}"`);
      if (opts.namespace !== undefined && opts.format !== 'operator') throw new UsageError('--namespace applies to --format operator only');
      checkSelectorFlag(opts.selector);
      const loaded = load(ctx, file, 'prometheus');
      const selector = selectorFor(loaded.contract, opts.selector);
      const { text, rules } = renderPrometheusRules(loaded.contract, {
        format: opts.format as RulesFormat,
        namespace: opts.namespace,
        selector,
        source: loaded.shown,
      });
      for (const w of rules.warnings) ctx.stderr(`sloctl: note: ${w}\n`);
      const every = everyJobWarning(loaded.contract, selector, 'the rules', `another service's requests count in ${loaded.contract.service.name}'s SLOs, and the SLIMissing alerts never fire while any of them is scraped`);
      if (every !== undefined) ctx.stderr(`sloctl: warning: ${every}\n`);
      const total = rules.counts.reduce((n, s) => n + s.recording + s.alerting, 0);
      emit(ctx, text, opts.output, `${pluralize(rules.groups.length, 'SLO group')}, ${pluralize(total, 'rule')}`);
    });

  generate
    .command('grafana')
    .description('A Grafana dashboard (JSON) with one row per SLO, reading the generated recording rules.')
    .argument('[file]', 'the contract (default: ./slo.yaml)')
    .option('--selector <matchers>', 'label matchers added to the raw histogram and counter selectors, e.g. \'job="checkout"\' (default: the contract\'s metrics.selector)')
    .option('-o, --output <file>', 'write to FILE (atomically) instead of stdout')
    .action((file: string | undefined, opts: CommonOptions) => {
      checkSelectorFlag(opts.selector);
      const loaded = load(ctx, file, 'grafana');
      const selector = selectorFor(loaded.contract, opts.selector);
      const { text, warnings } = renderGrafanaDashboard(loaded.contract, { selector });
      for (const w of warnings) ctx.stderr(`sloctl: note: ${w}\n`);
      const every = everyJobWarning(loaded.contract, selector, "the dashboard's raw panels", `another service's requests show in ${loaded.contract.service.name}'s panels`);
      if (every !== undefined) ctx.stderr(`sloctl: warning: ${every}\n`);
      emit(ctx, text, opts.output, 'dashboard');
    });

  generate
    .command('contract')
    .description('The contract as normalized JSON (durations in ms, ratios 0..1, defaults applied, buckets and thresholds resolved): what the Go middleware (go/sloctl) reads.')
    .argument('[file]', 'the contract (default: ./slo.yaml)')
    .option('-o, --output <file>', 'write to FILE (atomically) instead of stdout')
    .action((file: string | undefined, opts: { output?: string }) => {
      const loaded = load(ctx, file, 'contract');
      emit(ctx, renderContractJson(loaded.contract, { source: loaded.shown }), opts.output, 'contract JSON');
    });
}

/**
 * Reads and parses the contract (FILE, else ./slo.yaml); its warnings and errors are printed
 * located; invalid: exit 2, nothing generated. `what` is the subcommand, for the usage line.
 */
function load(ctx: CliContext, file: string | undefined, what: string): { contract: Contract; shown: string } {
  const input = readInputFile(ctx, contractArgument(ctx.cwd, file, `sloctl generate ${what}`), 'name the slo.yaml file');
  const { shown, text } = input;
  const loaded = parseContract(text, shown);
  const diagnostics = [...loaded.diagnostics].sort(byLocation);
  printDiagnostics(ctx, diagnostics, input);
  if (!loaded.contract || hasErrors(diagnostics)) {
    const errors = diagnostics.filter((d) => d.severity === 'error').length;
    throw new InvalidContractError(`${shown} is not a valid contract (${pluralize(errors, 'error')} above); nothing generated`);
  }
  return { contract: loaded.contract, shown };
}

/** stdout, or OUT written atomically, saying what was written. */
function emit(ctx: CliContext, text: string, output: string | undefined, what: string): void {
  if (writeOutput(ctx, text, output)) ctx.stderr(`sloctl: wrote ${what} to ${output}\n`);
}
