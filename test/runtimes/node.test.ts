import { startNode } from './launch.js';
import { runtimeSmoke } from './smoke.js';

runtimeSmoke('Node', startNode);
