/**
 * The face pipeline's CPU time per frame, in this process: onnxruntime-web's wasm build under Node
 * (the same ORT build and models as the worker, one thread), timed with process.cpuUsage() around
 * each stage. CPU time, unlike wall-clock time, does not grow while other processes hold the
 * cores, so on a shared 2-core machine it is the closer figure to what an idle device would take.
 */
import { FacePipeline, type FaceTimes } from '../workers/inference/vision/pipeline.ts';
import type { RgbaFrame } from '../workers/inference/vision/image.ts';
import { faceRunner } from '../tests/unit/workers/inference/vision/node-models.ts';
import { summarize, type Summary } from './stats.ts';

export interface CpuResult {
  frames: number;
  /** CPU ms per frame, per stage (landmarks and descriptors for all the frame's faces). */
  detectOnly: Record<keyof FaceTimes, Summary>;
  describe: Record<keyof FaceTimes, Summary>;
  /** Wall-clock ms of the same detection runs, for comparison. */
  detectWall: Summary;
}

const cpuMs = () => {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1000;
};

export async function visionCpu(frames: RgbaFrame[], n: number): Promise<CpuResult> {
  const pipeline = new FacePipeline(await faceRunner(), cpuMs);
  const pass = async (descriptors: boolean) => {
    const rows: FaceTimes[] = [];
    const wall: number[] = [];
    for (let i = 0; i < n; i++) {
      const t0 = performance.now();
      rows.push((await pipeline.run(frames[i % frames.length]!, { descriptors })).ms);
      wall.push(performance.now() - t0);
    }
    return { rows, wall };
  };
  await pass(true); // warm-up
  const det = await pass(false);
  const desc = await pass(true);
  const by = (rows: FaceTimes[]) => Object.fromEntries((['prepare', 'detect', 'landmarks', 'descriptors'] as const).map((k) => [k, summarize(rows.map((r) => r[k]))])) as CpuResult['detectOnly'];
  return { frames: n, detectOnly: by(det.rows), describe: by(desc.rows), detectWall: summarize(det.wall) };
}
