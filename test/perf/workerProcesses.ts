// `gsc worker` child processes for the worker benches (decodeWorkers.ts, benchWorkers.ts): started together and
// resolved when each has printed its start line, so a timing starts with every worker listening.
import { spawn, type ChildProcess } from 'node:child_process'

export async function startWorkers(url: string, n: number): Promise<ChildProcess[]> {
  const ws = Array.from({ length: n }, () => spawn(process.execPath, ['bin/gsc.mjs', 'worker', '--db', url], { stdio: ['ignore', 'ignore', 'pipe'] }))
  await Promise.all(
    ws.map(
      (w) =>
        new Promise<void>((resolve, reject) => {
          let err = ''
          w.stderr!.on('data', (b: Buffer) => {
            err += b.toString()
            if (/^worker .* provider/m.test(err)) resolve()
          })
          w.once('exit', (c) => reject(new Error(`worker exited (${c}): ${err}`)))
        })
    )
  )
  return ws
}
