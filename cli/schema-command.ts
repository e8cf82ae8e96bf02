// `eris schema`: the JSON Schema of a drill file (the one schemas/drill.schema.json holds), for editors and CI.
import { Command } from 'commander';
import { drillJsonSchema } from '../coordinator/drill/json-schema.js';

/** The text of schemas/drill.schema.json: what `eris schema` prints and scripts/gen-schema.mjs writes. */
export function drillSchemaText(): string {
  return `${JSON.stringify(drillJsonSchema(), null, 2)}\n`;
}

export function schemaCommand(): Command {
  return new Command('schema')
    .description('print the JSON Schema of a drill file')
    .addHelpText('after', '\nEditors with yaml-language-server pick it up from the first line of a drill:\n  # yaml-language-server: $schema=<path or URL of drill.schema.json>')
    .action(() => {
      process.stdout.write(drillSchemaText());
    });
}
