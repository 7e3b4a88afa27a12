// `sloctl schema`: the JSON Schema of slo.yaml, for editors (yaml-language-server) and other tools.
import type { Command } from 'commander';
import { contractJsonSchema } from '../contract/json-schema.ts';
import type { CliContext } from './exit.ts';

export function register(program: Command, ctx: CliContext): void {
  program
    .command('schema')
    .description('Print the JSON Schema of slo.yaml (point your editor at it for completion).')
    .action(() => {
      ctx.stdout(`${JSON.stringify(contractJsonSchema(), null, 2)}\n`);
    });
}
