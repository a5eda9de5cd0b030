/** `sluice components`: list the available component types. */
import type { Command } from 'commander';
import { definitions } from '../../components/registry.js';
import { table } from './dlq.js';

export function register(program: Command): void {
  program.command('components [kind]')
    .description('List component types (sources, transforms, sinks) with their status and summary.')
    .action((kind?: string) => {
      const k = kind?.replace(/s$/, '');
      const rows = definitions.filter((d) => !k || d.kind === k).map((d) => [d.kind, d.type, d.status, d.summary]);
      process.stdout.write(table([['KIND', 'TYPE', 'STATUS', 'SUMMARY'], ...rows]));
    });
}
