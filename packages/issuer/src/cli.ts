// Entry of the `licensor-issuer` binary (bin/licensor-issuer.js imports the built file).

import { runMain } from '@licensor/cli-kit';
import { main } from './cli/main.js';

runMain(main);
