// `sloctl convert --from openslo|sloth FILE` and `sloctl convert --to openslo [FILE]` (default
// ./slo.yaml, as the other commands that read a contract): the specs a team already has in, a
// contract out (and back to OpenSLO). The result goes to stdout or, with -o, to a file written
// atomically; warnings and what OpenSLO cannot express go to stderr.
// Exit 0 converted; 2 a usage error, an input that cannot be read as that format, or an invalid
// contract with --to (src/errors.ts); 70 if a converted contract does not validate (a bug).
import type { Command } from 'commander';
import type { Diagnostic } from '../contract/diagnostic.ts';
import { parseContract } from '../contract/load.ts';
import { ConvertError, type ConvertResult } from '../convert/common.ts';
import { fromOpenSlo, toOpenSlo } from '../convert/openslo.ts';
import { fromSloth } from '../convert/sloth.ts';
import { EXIT, InvalidContractError, InvalidInputError, UsageError, type CliContext } from './exit.ts';
import { contractArgument, printDiagnostics, readInputFile, writeOutput } from './files.ts';
import { pluralize } from './plural.ts';
import { checkSelectorFlag, selectorFor } from './selector-option.ts';

const FROM: Record<string, (text: string, file: string) => ConvertResult> = { openslo: fromOpenSlo, sloth: fromSloth };
const TO = ['openslo'];

interface ConvertOptions {
  from?: string;
  to?: string;
  output?: string;
  selector?: string;
}

export function register(program: Command, ctx: CliContext): void {
  program
    .command('convert')
    .description('Convert OpenSLO or Sloth specs to a sloctl contract, and a contract back to OpenSLO.')
    .argument('[file]', 'the spec to read: OpenSLO or Sloth YAML with --from (required), a contract with --to (default: ./slo.yaml)')
    .option('--from <format>', `read FILE as ${Object.keys(FROM).join(' or ')} and write a sloctl contract`)
    .option('--to <format>', `read FILE as a sloctl contract and write ${TO.join(' or ')}`)
    .option('-o, --output <file>', 'write the result to this file (atomically) instead of stdout')
    .option('--selector <matchers>', 'with --to: label matchers added to every raw selector of the built-in SLOs\' queries, e.g. \'job="checkout"\' (default: the contract\'s metrics.selector, as generate prometheus)')
    .addHelpText('after', '\nExamples:\n  sloctl convert --from openslo slos.yaml -o slo.yaml\n  sloctl convert --from sloth sloth.yml\n  sloctl convert --to openslo > openslo.yaml        # ./slo.yaml')
    .action((file: string | undefined, opts: ConvertOptions) => {
      ctx.exitCode = convert(file, opts, ctx);
    });
}

function convert(file: string | undefined, opts: ConvertOptions, ctx: CliContext): number {
  if (opts.from !== undefined && opts.to !== undefined) throw new UsageError('give either --from or --to, not both');
  if (opts.from === undefined && opts.to === undefined) throw new UsageError(`say which way to convert: --from ${Object.keys(FROM).join('|')} (into a sloctl contract) or --to ${TO.join('|')} (from one)`);
  if (opts.from !== undefined && !(opts.from in FROM)) throw new UsageError(`--from must be ${Object.keys(FROM).join(' or ')}, got "${opts.from}"`);
  if (opts.to !== undefined && !TO.includes(opts.to)) throw new UsageError(`--to must be ${TO.join(' or ')}, got "${opts.to}"`);
  if (opts.selector !== undefined && opts.to === undefined) throw new UsageError('--selector applies to --to only: a converted contract keeps the queries it is given');
  checkSelectorFlag(opts.selector);

  // The contract --to reads defaults to ./slo.yaml; what --from reads is another tool's spec, never that.
  if (opts.from !== undefined && file === undefined) throw new UsageError(`--from ${opts.from} reads ${opts.from === 'sloth' ? 'a Sloth' : 'an OpenSLO'} spec: name the file, e.g. sloctl convert --from ${opts.from} ${opts.from === 'sloth' ? 'sloth.yml' : 'slos.yaml'}`);
  const input = readInputFile(ctx, contractArgument(ctx.cwd, file, `sloctl convert --to ${opts.to}`));
  const { shown, text } = input;
  const report = (ds: Diagnostic[]) => printDiagnostics(ctx, ds, input);
  const note = (line: string) => ctx.stderr(`sloctl convert: ${line}\n`);

  if (opts.from !== undefined) {
    let result: ConvertResult;
    try {
      result = FROM[opts.from](text, shown);
    } catch (e) {
      if (!(e instanceof ConvertError)) throw e;
      report(e.diagnostics);
      const n = e.diagnostics.filter((d) => d.severity === 'error').length;
      throw new InvalidInputError(`${shown} could not be converted from ${opts.from} (${pluralize(n, 'error')} above); nothing written`);
    }
    for (const w of result.warnings) note(w);
    writeOutput(ctx, result.text, opts.output);
    // The converters only emit contracts that validate; if one does not, say so rather than hide it.
    const errors = parseContract(result.text, opts.output ?? '<stdout>').diagnostics.filter((d) => d.severity === 'error');
    if (errors.length > 0) {
      throw new Error(`the contract converted from ${shown} does not validate: ${errors.map((d) => `${d.line}:${d.col}: ${d.message}`).join('; ')}`);
    }
    return EXIT.OK;
  }

  const loaded = parseContract(text, shown);
  const errors = loaded.diagnostics.filter((d) => d.severity === 'error');
  if (errors.length > 0 || !loaded.contract) {
    report(errors);
    throw new InvalidContractError(`${shown} is not a valid sloctl contract (${pluralize(errors.length, 'error')} above); fix it first (sloctl validate ${shown})`);
  }
  const out = toOpenSlo(loaded.contract, { selector: selectorFor(loaded.contract, opts.selector) });
  for (const l of out.lost) note(`not in OpenSLO: ${l}`);
  writeOutput(ctx, out.text, opts.output);
  return EXIT.OK;
}

/** To stdout, or to OUT through a temporary file in the same directory and a rename (never half-written). */
