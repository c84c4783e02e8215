// Writes mge-proofs.json next to this file (see build-mge.ts).
import { writeFileSync } from 'node:fs';
import { buildMgeMerkleVectors } from './build-mge.js';

const file = new URL('./mge-proofs.json', import.meta.url);
writeFileSync(file, JSON.stringify(await buildMgeMerkleVectors(), null, 1) + '\n');
console.log(`wrote ${file.pathname}`);
