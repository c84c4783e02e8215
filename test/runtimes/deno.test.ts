import { BIN, runtimeMissing, startDeno } from './launch.js';
import { logsByDefault, runtimeSmoke } from './smoke.js';

runtimeSmoke('Deno', startDeno, runtimeMissing(BIN.deno));
logsByDefault('Deno', startDeno, runtimeMissing(BIN.deno));
