// `gsc worker` child processes for the worker benches (decodeWorkers.ts, benchWorkers.ts): started together and
// resolved when each has printed its start line, so a timing starts with every worker listening. `extraArgs` go to
// every worker; `onLine` receives each stderr line with the worker's index.
import { spawn, type ChildProcess } from 'node:child_process'

export async function startWorkers(url: string, n: number, opts: { extraArgs?: string[]; onLine?: (worker: number, line: string) => void } = {}): Promise<ChildProcess[]> {
  const ws = Array.from({ length: n }, () =>
    spawn(process.execPath, ['bin/gsc.mjs', 'worker', '--db', url, ...(opts.extraArgs ?? [])], { stdio: ['ignore', 'ignore', 'pipe'] })
  )
  await Promise.all(
    ws.map(
      (w, k) =>
        new Promise<void>((resolve, reject) => {
          let err = ''
          let partial = ''
          w.stderr!.on('data', (b: Buffer) => {
            err += b.toString()
            if (/^worker .* provider/m.test(err)) resolve()
            if (!opts.onLine) return
            const lines = (partial + b.toString()).split('\n')
            partial = lines.pop()!
            for (const l of lines) opts.onLine(k, l)
          })
          w.once('exit', (c) => reject(new Error(`worker exited (${c}): ${err}`)))
        })
    )
  )
  return ws
}
