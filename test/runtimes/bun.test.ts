import { BIN, runtimeMissing, startBun } from './launch.js';
import { runtimeSmoke } from './smoke.js';

runtimeSmoke('Bun', startBun, runtimeMissing(BIN.bun));
