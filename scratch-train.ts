import { Command } from 'commander';
import { registerTrain } from './src/cli/train.js';
const p = new Command(); registerTrain(p); await p.parseAsync(process.argv);
