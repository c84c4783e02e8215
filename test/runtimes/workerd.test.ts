import { BIN, runtimeMissing, startWorkerd } from './launch.js';
import { runtimeSmoke } from './smoke.js';

runtimeSmoke('workerd', startWorkerd, runtimeMissing(BIN.workerd));
