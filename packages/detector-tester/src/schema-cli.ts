import { existsSync, readFileSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { loadModule, optionsSchemaOf, packageEntry, SchemaFileError, schemaFileText, undescribedFields, writeFileAtomic } from './schema-file.js';

const USAGE = `Usage: sandtrap-schema <write|check> [--dir DIR] [--entry FILE]

Writes (write) or compares (check) a detector package's schema.json with the options schema its
module exports: the default export's \`options\`, else a named \`optionsSchema\`.

  --dir DIR     the package folder (default: the current folder)
  --entry FILE  the module to read, relative to DIR (default: the package's exports['.'] or main;
                a .ts entry is loaded through tsx)

Exit codes: 0 written / up to date, 1 schema.json is missing or out of date (check), 2 bad usage or input.`;

/** Runs `sandtrap-schema` with `argv` (without node and the script); returns the exit code. */
export async function runSchemaCli(
  argv: readonly string[],
  io: { out: (s: string) => void; err: (s: string) => void } = { out: (s) => process.stdout.write(s), err: (s) => process.stderr.write(s) },
): Promise<number> {
  let parsed;
  try {
    parsed = parseArgs({ args: [...argv], allowPositionals: true, options: { dir: { type: 'string' }, entry: { type: 'string' }, help: { type: 'boolean', short: 'h' } } });
  } catch (e) {
    io.err(`sandtrap-schema: ${(e as Error).message}\n\n${USAGE}\n`);
    return 2;
  }
  const { values, positionals } = parsed;
  if (values.help) {
    io.out(`${USAGE}\n`);
    return 0;
  }
  const command = positionals[0];
  if ((command !== 'write' && command !== 'check') || positionals.length > 1) {
    io.err(`sandtrap-schema: expected one command, write or check; found ${positionals.length ? positionals.join(' ') : 'none'}\n\n${USAGE}\n`);
    return 2;
  }
  const dir = resolve(values.dir ?? '.');
  const file = join(dir, 'schema.json');
  const shown = relative(process.cwd(), file) || file;
  try {
    const entry = values.entry ? resolve(dir, values.entry) : packageEntry(dir);
    const found = optionsSchemaOf(await loadModule(entry));
    if (!found) {
      throw new SchemaFileError(
        `${relative(process.cwd(), entry) || entry} exports no options schema: neither its default export (the detector) has \`options\` nor is there a named \`optionsSchema\` export. A detector without options has no schema.json`,
      );
    }
    const text = schemaFileText(found.schema);
    const undescribed = undescribedFields(found.schema);
    if (undescribed.length) io.err(`sandtrap-schema: warning: no description on ${undescribed.join(', ')}; describe every option (editors and docs show it)\n`);
    if (command === 'write') {
      writeFileAtomic(file, text);
      io.out(`wrote ${shown} from ${found.from}\n`);
      return 0;
    }
    if (!existsSync(file)) {
      io.err(`sandtrap-schema: ${shown} is missing; generate it with: sandtrap-schema write${values.dir ? ` --dir ${values.dir}` : ''}\n`);
      return 1;
    }
    if (readFileSync(file, 'utf8') !== text) {
      io.err(
        `sandtrap-schema: ${shown} is out of date with the options schema (${found.from}); regenerate it with: sandtrap-schema write${values.dir ? ` --dir ${values.dir}` : ''}\n`,
      );
      return 1;
    }
    io.out(`${shown} is up to date\n`);
    return 0;
  } catch (e) {
    if (e instanceof SchemaFileError) {
      io.err(`sandtrap-schema: ${e.message}\n`);
      return 2;
    }
    throw e;
  }
}
