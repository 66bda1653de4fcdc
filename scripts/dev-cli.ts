/** Run the CLI from source (no build): `npx tsx --conditions=sandtrap-source scripts/dev-cli.ts <args>`. */
import { run } from 'sandtrap';

process.exitCode = await run(process.argv.slice(2));
