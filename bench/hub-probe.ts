/**
 * Preloaded into the capacity benchmark's hub process (`node --expose-gc --import tsx --import
 * ./bench/hub-probe.ts hub/main.ts ...`): on SIGUSR2 it writes process.memoryUsage() as JSON to
 * $OSMOSE_BENCH_PROBE, after a full garbage collection when the file $OSMOSE_BENCH_PROBE.gc
 * exists (and gc is exposed). Nothing else in the hub changes.
 */
import fs from 'node:fs';

const out = process.env.OSMOSE_BENCH_PROBE;
if (out) {
  process.on('SIGUSR2', () => {
    const wantGc = fs.existsSync(out + '.gc');
    const gc = (globalThis as { gc?: () => void }).gc;
    if (wantGc && gc) gc();
    const m = process.memoryUsage();
    fs.writeFileSync(out + '.tmp', JSON.stringify({ ...m, gc: Boolean(wantGc && gc), at: Date.now() }));
    fs.renameSync(out + '.tmp', out);
  });
}
