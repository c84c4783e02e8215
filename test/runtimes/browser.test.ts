import { chromiumMissing, startChromium } from './browser-launch.js';
import { runtimeSmoke } from './smoke.js';

runtimeSmoke('Chromium (the app in a browser page)', startChromium, chromiumMissing(), { hostHeader: false });
