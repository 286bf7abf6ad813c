import { serveTasks } from '../workers/pool.js';
import { runGridTask } from './training-grid.js';

await serveTasks(runGridTask);
