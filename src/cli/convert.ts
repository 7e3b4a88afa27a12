// Placeholder until the converters land: registered so `sloctl --help` lists the command.
import type { Command } from 'commander';
import { UsageError, type CliContext } from './exit.ts';

export function register(program: Command, _ctx: CliContext): void {
  program
    .command('convert')
    .description('Convert OpenSLO or Sloth specs to a sloctl contract, and back to OpenSLO.')
    .argument('<file>')
    .action(() => {
      throw new UsageError('convert is not available yet');
    });
}
