import { ScoringPool } from './src/detect/pool.js';
const pool = new ScoringPool({ modelDir: '/work/main/models/default', backend: 'auto', options: {}, workers: 2, timeoutMs: 3000 });
await pool.ready();
const wins: Float64Array[] = []; for (let i = 0; i < 4000; i++) wins.push(Float64Array.from({ length: 200 }, (_, k) => Math.sin(k + i)));
let t = performance.now(); const r = await pool.raw(wins); console.log('ok', r.raw.length, performance.now() - t);
t = performance.now(); const r2 = await pool.raw(wins, { crash: true }); console.log('crash ok', r2.raw.every((v, i) => v === r.raw[i]), pool.replaced, performance.now() - t);
t = performance.now(); const r3 = await pool.raw(wins, { delayMs: 5000 }); console.log('stuck ok', r3.raw.every((v, i) => v === r.raw[i]), pool.replaced, performance.now() - t);
await pool.close();
