// Builds the test capture with the real encoder, makes sure the renderer is built, and starts
// `gsc serve` on a temporary database and a free port. The URL reaches the tests via process.env.
import { spawn, execFileSync, type ChildProcess } from 'node:child_process'
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, statSync } from 'node:fs'
import { createServer } from 'node:net'
import os from 'node:os'
import path from 'node:path'
import { buildCapture, ROOT } from './buildCapture'

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer()
    s.once('error', reject)
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as { port: number }).port
      s.close(() => resolve(port))
    })
  })
}

function newest(dir: string): number {
  let t = 0
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, e.name)
    t = Math.max(t, e.isDirectory() ? newest(p) : statSync(p).mtimeMs)
  }
  return t
}

function ensureWebBuild(): void {
  const index = path.join(ROOT, 'out', 'web', 'index.html')
  const stale = !existsSync(index) || statSync(index).mtimeMs < Math.max(newest(path.join(ROOT, 'src', 'renderer')), newest(path.join(ROOT, 'src', 'shared')))
  if (stale) {
    console.log('[e2e] building the renderer (npm run build:web)')
    execFileSync(process.execPath, [path.join(ROOT, 'node_modules', 'vite', 'bin', 'vite.js'), 'build', '--config', 'vite.web.config.ts', '--logLevel', 'error'], { cwd: ROOT, stdio: 'inherit' })
  }
}

export default async function globalSetup(): Promise<() => Promise<void>> {
  const t0 = Date.now()
  const dir = mkdtempSync(path.join(os.tmpdir(), 'gsc-e2e-'))
  const info = await buildCapture(dir)
  console.log(`[e2e] capture: ${info.packets} packets via ${info.method}${info.reason ? ` (encode-dir unavailable: ${info.reason})` : ''} in ${Date.now() - t0} ms`)
  ensureWebBuild()
  mkdirSync(path.join(ROOT, 'test-results', 'screenshots'), { recursive: true })
  const port = await freePort()
  const child: ChildProcess = spawn(process.execPath, [path.join(ROOT, 'bin', 'gsc.mjs'), 'serve', '--port', String(port), '--db', path.join(dir, 'log.db')], {
    cwd: ROOT,
    stdio: ['ignore', 'inherit', 'pipe']
  })
  const url = await new Promise<string>((resolve, reject) => {
    let err = ''
    const timer = setTimeout(() => reject(new Error(`gsc serve did not start in 60 s: ${err}`)), 60_000)
    child.stderr!.on('data', (d: Buffer) => {
      err += d.toString()
      const m = /gsc serve: (http:\/\/\S+)/.exec(err)
      if (m) {
        clearTimeout(timer)
        resolve(m[1])
      }
    })
    child.once('exit', (code) => reject(new Error(`gsc serve exited (${code}): ${err}`)))
  })
  process.env.GSC_E2E_URL = url
  process.env.GSC_E2E_DIR = dir
  console.log(`[e2e] gsc serve at ${url} (setup ${Date.now() - t0} ms)`)
  return async () => {
    child.kill('SIGTERM')
    await new Promise((r) => setTimeout(r, 300))
    rmSync(dir, { recursive: true, force: true })
  }
}
