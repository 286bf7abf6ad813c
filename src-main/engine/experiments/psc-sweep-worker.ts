import { serveTasks } from '../workers/pool.js';
import { runSweepTask } from './psc-sweep.js';

await serveTasks(runSweepTask);
