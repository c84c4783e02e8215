// Writes receipts.json next to this file (see build.ts).
import { writeFileSync } from 'node:fs';
import { buildReceiptVectors } from './build.js';

const file = new URL('./receipts.json', import.meta.url);
writeFileSync(file, JSON.stringify(await buildReceiptVectors(), null, 2) + '\n');
console.log(`wrote ${file.pathname}`);
