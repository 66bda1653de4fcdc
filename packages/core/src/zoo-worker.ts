import { serveTasks } from './pool.js';
import { runZooGroup } from './zoo.js';

serveTasks((payload, progress) => runZooGroup(payload as Parameters<typeof runZooGroup>[0], progress));
