import { Command, CommanderError, Option } from 'commander';
import { BACKEND_REQUESTS, exitCodeOf, isSandtrapError, SANDTRAP_VERSION, TASK_NAMES, ARCH_NAMES, RECIPE_NAMES } from '@sandtrap/core';
import { processIO, type GlobalOptions, type IO } from './io.js';
import { doctor } from './commands/doctor.js';
import { train, type TrainFlags } from './commands/train.js';
import { zooBuild, zooInspect, zooList, zooMerge, zooVerify, type ZooBuildFlags } from './commands/zoo.js';
import { collect } from './params.js';
import { detect, type DetectFlags } from './commands/detect.js';
import { merge, scoreboard, type MergeFlags, type ScoreboardFlags } from './commands/scoreboard.js';

export type { IO } from './io.js';
export { defineConfig, type SandtrapConfig } from '@sandtrap/scoreboard';

/**
 * Run the CLI in-process: parse `argv`, run the command, and return the exit code
 * (0 success, 1 a check failed, 2 bad usage or bad input). Never calls process.exit.
 */
export async function run(argv: readonly string[], io: IO = processIO()): Promise<number> {
  let code = 0;
  const program = new Command('sandtrap');
  program
    .description('sandtrap: train model organisms with planted misalignments and test misalignment detectors against them')
    .version(SANDTRAP_VERSION, '-V, --version')
    .addOption(new Option('--backend <name>', 'compute backend (or SANDTRAP_BACKEND)').choices(BACKEND_REQUESTS as string[]))
    .option('-q, --quiet', 'no progress output')
    .exitOverride()
    .configureOutput({ writeOut: (s) => io.stdout.write(s), writeErr: (s) => io.stderr.write(s) });

  const globals = (cmd: Command): GlobalOptions => cmd.optsWithGlobals<GlobalOptions>();

  program
    .command('doctor')
    .description('show the backend in use and why, versions, GPU and cores')
    .option('--json', 'print JSON only')
    .action(async (opts: { json?: boolean }, cmd: Command) => {
      code = await doctor(io, globals(cmd), opts);
    });

  program
    .command('train')
    .description('train one organism, measure its gates, and write it (exit 1 if a gate fails)')
    .requiredOption('--task <name>', `task: ${TASK_NAMES.join(', ')}`)
    .requiredOption('--arch <name>', `architecture: ${ARCH_NAMES.join(', ')}`)
    .requiredOption('--recipe <name>', `recipe: ${RECIPE_NAMES.join(', ')}`)
    .option('--seed <n>', 'seed (same seed + same backend ⇒ identical weights)', '1')
    .option('--out <dir>', 'organism folder to write (default sandtrap-organisms/<id>)')
    .option('--task-param <k=v>', 'task parameter, repeatable (e.g. p=11)', collect)
    .option('--arch-param <k=v>', 'architecture parameter, repeatable (e.g. hidden=256)', collect)
    .option('--recipe-param <k=v>', 'recipe parameter, repeatable', collect)
    .option('--attempts <n>', 'seeds to try while gates fail', '3')
    .option('--json', 'print JSON only')
    .action(async (opts: TrainFlags, cmd: Command) => {
      code = await train(io, globals(cmd), opts);
    });

  const zoo = program.command('zoo').description('build, list, inspect and verify zoos of organisms');
  zoo
    .command('build')
    .description('build (or resume) a zoo from a preset or a spec; content-addressed, so a rerun trains nothing new')
    .option(
      '--preset <name>',
      'smoke (every recipe, both tasks, mlp), standard (× both architectures, ≥ 5 seeds; meant for a GPU) or hard (the hard tier: doc-modsum, secret phrase conditions, matched controls; fixtures/zoo-hard)',
    )
    .option('--spec <file>', 'a zoo spec (JSON)')
    .option('--out <dir>', 'zoo folder (default sandtrap-zoo/<name>)')
    .option('--workers <n>', 'parallel training processes (default: cores)')
    .option('--shard <i/n>', 'build the i-th of n deterministic shares of the (task, architecture, seed) groups; combine with sandtrap zoo merge')
    .option('--sealed', 'seal the test split: its seeds, ids and word names derive from a secret (SANDTRAP_SEALED_SEED, else drawn) kept in --key-out, with its truth')
    .option('--key-out <file>', 'with --sealed: where the key goes, outside the zoo (default <out>.key.json); a rerun resumes with it')
    .option('--json', 'print JSON only')
    .action(async (opts: ZooBuildFlags, cmd: Command) => {
      code = await zooBuild(io, globals(cmd), opts);
    });
  zoo
    .command('merge')
    .description('combine the folders of zoo build --shard i/n into one zoo (the same bytes as an unsharded build)')
    .argument('<dirs...>', 'shard folders, all n of them')
    .option('--out <dir>', 'where the merged zoo goes (required; new or empty)')
    .option('--json', 'print JSON only')
    .action(async (dirs: string[], opts: { out?: string; json?: boolean }, cmd: Command) => {
      code = await zooMerge(io, globals(cmd), dirs, opts);
    });
  zoo
    .command('list')
    .description("list a zoo's organisms with split and kind")
    .argument('[dir]', 'zoo folder', 'sandtrap-zoo/smoke')
    .option('--sealed-key <file>', "a sealed zoo's key (its test split's truth)")
    .option('--json', 'print JSON only')
    .action(async (dir: string, opts: { json?: boolean; sealedKey?: string }) => {
      code = await zooList(io, dir, opts);
    });
  zoo
    .command('verify')
    .description("check every organism's hashes and re-measure its gates; exit 1 on any failure")
    .argument('[dir]', 'zoo folder', 'sandtrap-zoo/smoke')
    .option('--sealed-key <file>', "a sealed zoo's key (its test split's seeds and truth)")
    .option('--json', 'print JSON only')
    .action(async (dir: string, opts: { json?: boolean; sealedKey?: string }, cmd: Command) => {
      code = await zooVerify(io, globals(cmd), dir, opts);
    });
  zoo
    .command('inspect')
    .description("print an organism's card, truth and gates (weights hash-checked)")
    .argument('<organism-dir>', 'organism folder')
    .option('--sealed-key <file>', "for a sealed test organism: its zoo's key (where its truth is)")
    .option('--json', 'print JSON only')
    .action(async (dir: string, opts: { json?: boolean; sealedKey?: string }) => {
      code = await zooInspect(io, dir, opts);
    });

  program
    .command('detect')
    .description('run one detector over a zoo (or some organisms) in isolated workers and print its verdicts')
    .argument('<detector>', 'built-in id, package name (sandtrap-detector-foo), or path')
    .option('--zoo <dir>', 'zoo folder', 'sandtrap-zoo/smoke')
    .option('--organism <id>', 'only this organism, repeatable', collect)
    .option('--option <k=v>', 'detector option, repeatable (JSON values; dotted keys nest)', collect)
    .option('--split <split>', 'dev, test or all', 'all')
    .option('--workers <n>', 'parallel worker processes (default: cores)')
    .option('--timeout <seconds>', 'per organism; the worker is killed past it (default: wall budget + 30)')
    .option('--memory <mb>', 'heap limit of a worker process, MB (default 2048)')
    .option('--sandbox <mode>', 'auto (default: bubblewrap when it works here), bwrap (required) or node (Node permissions only)')
    .option('--fresh-process', "start each cell's detector process for that cell alone (slower; default: a detector's cells share its process, checked unchanged after each)")
    .option('--json', 'print JSON only')
    .action(async (ref: string, opts: DetectFlags, cmd: Command) => {
      code = await detect(io, globals(cmd), ref, opts);
    });

  program
    .command('scoreboard')
    .description('run every detector on every test-split organism of a zoo and write the reports (exit 1 on a regression against --baseline)')
    .option('--config <file>', 'config file (default: sandtrap.config.{ts,mts,js,mjs,json} in the working directory)')
    .option('--zoo <dir>', "zoo folder (default: the config's, else sandtrap-zoo/smoke)")
    .option(
      '--detectors <list>',
      'comma-separated detectors (built-in ids, packages, paths), repeatable; a value that is an existing path is one detector even with a comma; overrides the config',
      collect,
    )
    .option('--out <dir>', 'output folder (default sandtrap-report); a rerun into it skips finished cells')
    .option('--baseline <file>', 'an earlier scoreboard.json: exit 1 if AUROC or TPR@5%FPR of any detector × kind fell by more than --tolerance')
    .option('--tolerance <x>', 'allowed fall for --baseline (default 0.05)')
    .option('--shard <i/n>', 'run the i-th of n deterministic shares of the cells; combine with sandtrap merge')
    .option('--workers <n>', 'parallel cell processes (default: cores)')
    .option('--seed <n>', 'run seed (default 1)')
    .option('--ci <method>', "AUROC interval: 'score' (Newcombe, default) or 'bootstrap'")
    .option('--resamples <n>', 'bootstrap resamples, with --ci bootstrap (default 1000)')
    .option('--timeout <seconds>', 'per cell; the worker is killed past it (default: wall budget + 30)')
    .option('--memory <mb>', 'heap limit of a cell process, MB (default 2048)')
    .option('--retry-errors', 'on a rerun, run the cells recorded as errors again (default: they count as finished)')
    .option('--holdout <what>', "'kind': also score each misaligned kind with configure() never having seen it (the unseenKind board)")
    .option('--sandbox <mode>', 'auto (default: bubblewrap when it works here), bwrap (required) or node (Node permissions only)')
    .option('--fresh-process', "start each cell's detector process for that cell alone (slower; default: a detector's cells share its process, checked unchanged after each)")
    .option('--sealed-key <file>', 'score a sealed zoo (zoo build --sealed): its key, read by the runner only; needs the OS sandbox')
    .option('--json', 'print JSON only')
    .action(async (opts: ScoreboardFlags, cmd: Command) => {
      code = await scoreboard(io, globals(cmd), opts);
    });

  program
    .command('merge')
    .description('combine the --out folders of scoreboard shards into one scoreboard (the same as an unsharded run)')
    .argument('<dirs...>', 'shard output folders')
    .option('--out <dir>', 'where the merged results and reports go (required)')
    .option('--zoo <dir>', 'the zoo, if it moved since the shards ran')
    .option('--sealed-key <file>', 'the key of a sealed zoo (as the shards were given)')
    .option('--baseline <file>', 'an earlier scoreboard.json to compare with (exit 1 on a regression)')
    .option('--tolerance <x>', 'allowed fall for --baseline (default 0.05)')
    .option('--json', 'print JSON only')
    .action(async (dirs: string[], opts: MergeFlags, cmd: Command) => {
      code = await merge(io, globals(cmd), dirs, opts);
    });

  program
    .command('init')
    .description('scaffold new sandtrap projects')
    .command('detector')
    .description('scaffold a publishable detector package sandtrap-detector-NAME (plain ESM, a working example, tests, README)')
    .argument('<name>', 'detector name: lowercase letters, digits and dashes')
    .option('--dir <dir>', 'where to create it (default ./sandtrap-detector-NAME); must be empty or absent')
    .action(async (name: string, opts: { dir?: string }) => {
      const { initDetector } = await import('./commands/init.js');
      code = await initDetector(io, name, opts);
    });

  try {
    await program.parseAsync([...argv], { from: 'user' });
    return code;
  } catch (e) {
    if (e instanceof CommanderError) {
      // --help and --version exit 0; every usage error is a 2.
      return e.exitCode === 0 ? 0 : 2;
    }
    if (isSandtrapError(e)) {
      // One line, ending in the code: the key into docs/reference/errors.md, which gives the fix.
      io.stderr.write(`sandtrap: ${e.message} [${e.code}]\n`);
      // A coded error that crossed a process or package-copy boundary may lack exitCode.
      return e.exitCode ?? exitCodeOf(e.code);
    }
    io.stderr.write(`sandtrap: internal error: ${(e as Error)?.stack ?? String(e)}\n`);
    return 1;
  }
}

/** The `sandtrap` binary. */
export async function main(): Promise<void> {
  process.exitCode = await run(process.argv.slice(2));
}
