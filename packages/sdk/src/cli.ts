// Entry of the `licensor` binary (bin/licensor.js imports the built file).
import { runMain } from '@licensor/cli-kit';
import { main } from './cli/main.js';

runMain(main);
