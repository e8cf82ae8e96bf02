// `eris context ls|use|add|rm|current`: named coordinators in ~/.config/eris/contexts.yaml (or $ERIS_CONFIG).
import { Command, Option } from 'commander';
import { addConnectionOptions, contextsPath, readContexts, resolveConnection, updateContexts } from './connection.js';
import { UsageError } from './exit.js';
import { printJson, table, wantsJson, withOutput, type OutputOptions } from './output.js';

const NAME = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,62}$/;

export function contextCommand(): Command {
  const context = new Command('context')
    .description('named coordinators: eris --context NAME … or `eris context use NAME`')
    .addHelpText('after', `\nThe file (${contextsPath()}; $ERIS_CONFIG overrides) looks like:\n  current: prod\n  contexts:\n    prod:\n      coordinator: https://eris.example.com:7700\n      tokenFile: ~/.config/eris/prod.token\n    local:\n      coordinator: http://127.0.0.1:7700`);

  context.addCommand(
    withOutput(new Command('ls').alias('list').description('list contexts; * marks the current one')).action((opts: OutputOptions) => {
      const file = readContexts();
      const rows = Object.entries(file.contexts).map(([name, c]) => ({ name, current: name === file.current, coordinator: c.coordinator ?? '', auth: c.tokenFile ? `tokenFile ${c.tokenFile}` : c.token ? 'token' : '-' }));
      if (wantsJson(opts)) return printJson({ path: contextsPath(), current: file.current ?? null, contexts: rows });
      if (rows.length === 0) return void process.stdout.write(`no contexts in ${contextsPath()} (eris context add NAME --coordinator URL)\n`);
      process.stdout.write(table(['', 'NAME', 'COORDINATOR', 'AUTH'], rows.map((r) => [r.current ? '*' : '', r.name, r.coordinator, r.auth])));
    }),
  );

  context.addCommand(
    new Command('use')
      .description('make NAME the current context')
      .argument('<name>', 'context name')
      .action((name: string) => {
        const file = readContexts();
        if (!file.contexts[name]) throw new UsageError(`no context ${JSON.stringify(name)} in ${contextsPath()}${Object.keys(file.contexts).length ? ` (contexts: ${Object.keys(file.contexts).join(', ')})` : ''}`);
        updateContexts((doc) => doc.set('current', name));
        process.stdout.write(`current context: ${name}\n`);
      }),
  );

  context.addCommand(
    new Command('add')
      .description('add or replace a context')
      .argument('<name>', 'context name')
      .option('--coordinator <url>', 'coordinator URL (the name every other command uses)')
      .addOption(new Option('--url <url>', 'same as --coordinator').hideHelp())
      .option('--token-file <file>', 'file holding the token (kept as a path, read at each call)')
      .option('--token <token>', 'the token itself (stored in the file, mode 0600; prefer --token-file)')
      .option('--use', 'make it the current context')
      .action((name: string, opts: { coordinator?: string; url?: string; tokenFile?: string; token?: string; use?: boolean }) => {
        if (opts.coordinator !== undefined && opts.url !== undefined && opts.coordinator !== opts.url) throw new UsageError('give one of --coordinator and --url (they are the same flag)');
        const url = opts.coordinator ?? opts.url;
        if (url === undefined) throw new UsageError('--coordinator: required (the coordinator URL of the context)');
        if (!NAME.test(name)) throw new UsageError(`context name: must be letters, digits, "-", "_", "." (got ${JSON.stringify(name)})`);
        if (opts.token !== undefined && opts.tokenFile !== undefined) throw new UsageError('give one of --token and --token-file');
        updateContexts((doc) => {
          doc.setIn(['contexts', name], doc.createNode({ coordinator: url, ...(opts.tokenFile ? { tokenFile: opts.tokenFile } : {}), ...(opts.token ? { token: opts.token } : {}) }));
          if (opts.use || !doc.has('current')) doc.set('current', name);
        });
        process.stdout.write(`context ${name}: ${url}\n`);
      }),
  );

  context.addCommand(
    new Command('rm')
      .alias('delete')
      .description('remove a context')
      .argument('<name>', 'context name')
      .action((name: string) => {
        const file = readContexts();
        if (!file.contexts[name]) throw new UsageError(`no context ${JSON.stringify(name)} in ${contextsPath()}`);
        updateContexts((doc) => {
          doc.deleteIn(['contexts', name]);
          if (file.current === name) doc.delete('current');
        });
        process.stdout.write(`removed context ${name}\n`);
      }),
  );

  context.addCommand(
    addConnectionOptions(withOutput(new Command('current').description('the coordinator the next command would talk to, and why'))).action((opts: OutputOptions, command: Command) => {
      const c = resolveConnection(command);
      if (wantsJson(opts)) return printJson({ coordinator: c.coordinator, source: c.source, token: c.token !== undefined });
      process.stdout.write(`${c.coordinator} (from ${c.source}${c.token !== undefined ? ', with a token' : ', no token'})\n`);
    }),
  );
  return context;
}
