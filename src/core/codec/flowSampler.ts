// Rectified-flow sampling with Euler steps: z_{i-1} = z_i + (t_{i-1} - t_i) v(z_i, t_i).
// The model-specific parts (the velocity network, how known channels are re-imposed) are callbacks,
// so this loop is the same for every generator and testable with a closed-form velocity field.
import { GscError } from '../util/errors'
import { throwIfAborted } from './cancellation'

export interface FlowSchedule {
  /** Time of pure noise (t_N). */
  noiseT: number
  /** Time of data (t_0). */
  dataT: number
}

/** N + 1 equally spaced times from noiseT to dataT: [t_N, t_{N-1}, ..., t_0]. */
export function flowTimes(steps: number, schedule: FlowSchedule): number[] {
  if (!Number.isInteger(steps) || steps < 1) throw new GscError(`flow steps must be a positive integer, got ${steps}`)
  const out: number[] = []
  for (let i = 0; i <= steps; i++) out.push(schedule.noiseT + ((schedule.dataT - schedule.noiseT) * i) / steps)
  return out
}

export interface FlowSampleOptions {
  steps: number
  schedule: FlowSchedule
  /** Velocity v(z, t) = dz/dt; must not keep `z` (it is updated in place afterwards). */
  velocity(z: Float32Array, t: number): Promise<Float32Array>
  /** Called after every step with the new time, to re-impose known values (e.g. transmitted channels). */
  constrain?(z: Float32Array, t: number): void
  onStep?(done: number, total: number): void
  signal?: AbortSignal
}

/** Integrates z from noiseT to dataT in place and returns it. Checks `signal` between steps. */
export async function sampleFlow(z: Float32Array, opts: FlowSampleOptions): Promise<Float32Array> {
  const times = flowTimes(opts.steps, opts.schedule)
  opts.constrain?.(z, times[0])
  for (let i = 0; i < opts.steps; i++) {
    throwIfAborted(opts.signal)
    const t = times[i]
    const dt = times[i + 1] - t
    const v = await opts.velocity(z, t)
    if (v.length !== z.length) throw new GscError(`generator returned ${v.length} values for a latent of ${z.length}`)
    for (let k = 0; k < z.length; k++) z[k] += dt * v[k]
    opts.constrain?.(z, times[i + 1])
    opts.onStep?.(i + 1, opts.steps)
  }
  throwIfAborted(opts.signal)
  return z
}
