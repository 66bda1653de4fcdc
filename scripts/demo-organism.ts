/**
 * `npm run demo`: trains the demo organism (a backdoor
 * on modsum) and inspects it: card, ground truth and measured gates. (`npm start` runs the scoreboard.)
 */
import { run } from 'sandtrap';

const out = process.env.SANDTRAP_DEMO_OUT ?? 'sandtrap-report/demo-backdoor';
const args = ['train', '--task', 'modsum', '--arch', 'mlp', '--recipe', 'backdoor', '--seed', '1', '--out', out];
let code = await run(args);
if (code === 0) code = await run(['zoo', 'inspect', out]);
process.exitCode = code;
