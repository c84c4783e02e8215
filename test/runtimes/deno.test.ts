import { BIN, runtimeMissing, startDeno } from './launch.js';
import { runtimeSmoke } from './smoke.js';

runtimeSmoke('Deno', startDeno, runtimeMissing(BIN.deno));
