// Running the Debian codec command-line tools: argument arrays (no shell), temp dirs, clear errors.
import { execFile } from 'node:child_process'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { GscError } from '../util/errors'

/** Debian package that provides each tool, for the "missing binary" message. */
export const TOOL_PACKAGES: Record<string, string> = {
  opj_compress: 'libopenjp2-tools',
  opj_decompress: 'libopenjp2-tools',
  'heif-enc': 'libheif-examples',
  'heif-convert': 'libheif-examples',
  cjxl: 'libjxl-tools',
  djxl: 'libjxl-tools'
}

export function runTool(bin: string, args: string[], timeoutMs = 60_000): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile(bin, args, { timeout: timeoutMs, maxBuffer: 4 << 20 }, (err, stdout, stderr) => {
      if (!err) return resolve(String(stdout) + String(stderr))
      const code = (err as NodeJS.ErrnoException).code
      if (code === 'ENOENT')
        reject(new GscError(`${bin} is not installed (Debian package ${TOOL_PACKAGES[bin] ?? 'unknown'}); cannot run this baseline`, 'ENOTOOL'))
      else {
        const msg = (String(stderr).trim() || String(stdout).trim() || err.message).split('\n').slice(-1)[0]
        reject(new GscError(`${bin} ${args.join(' ')} failed: ${msg}`, 'ETOOL'))
      }
    })
  })
}

/** Whether a tool can be started at all (null = yes, else the reason). */
export async function toolMissing(bin: string): Promise<string | null> {
  return new Promise((resolve) => {
    execFile(bin, ['--help'], { timeout: 10_000 }, (err) => {
      if (err && (err as NodeJS.ErrnoException).code === 'ENOENT')
        resolve(`${bin} is not installed (Debian package ${TOOL_PACKAGES[bin] ?? 'unknown'})`)
      else resolve(null)
    })
  })
}

export async function withTempDir<T>(fn: (dir: string) => Promise<T>): Promise<T> {
  const dir = await mkdtemp(path.join(tmpdir(), 'gsc-baseline-'))
  try {
    return await fn(dir)
  } finally {
    await rm(dir, { recursive: true, force: true })
  }
}
