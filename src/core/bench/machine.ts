// Provenance for results.json: machine, runtime, git commit, model hashes.
import { execFileSync } from 'node:child_process'
import os from 'node:os'
import { createRequire } from 'node:module'
import sharp from 'sharp'
import { loadManifest } from '../modelAssets/manifest'

const require = createRequire(import.meta.url)

export interface MachineInfo {
  cpu: string
  cores: number
  memoryGiB: number
  platform: string
  node: string
  onnxruntime: string | null
  sharp: string | null
  loadAverage: number[]
}

export function machineInfo(): MachineInfo {
  const ver = (m: string) => {
    try {
      return (require(`${m}/package.json`) as { version: string }).version
    } catch {
      return null
    }
  }
  return {
    cpu: os.cpus()[0]?.model ?? 'unknown',
    cores: os.cpus().length,
    memoryGiB: Math.round((os.totalmem() / 2 ** 30) * 10) / 10,
    platform: `${process.platform}-${process.arch} ${os.release()}`,
    node: process.version,
    onnxruntime: ver('onnxruntime-node'),
    sharp: sharp.versions.sharp ?? ver('sharp'),
    loadAverage: os.loadavg().map((x) => Math.round(x * 100) / 100)
  }
}

export function gitCommit(cwd = process.cwd()): { commit: string | null; dirty: boolean | null } {
  try {
    const commit = execFileSync('git', ['rev-parse', 'HEAD'], { cwd, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim()
    const status = execFileSync('git', ['status', '--porcelain', '--untracked-files=no'], { cwd, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] })
    return { commit, dirty: status.trim().length > 0 }
  } catch {
    return { commit: null, dirty: null }
  }
}

/** id -> sha256 (and file) from the model manifest; an error string when there is none. */
export function modelHashes(dir?: string): Record<string, { file: string; sha256: string; steps: number | string | null }> | { error: string } {
  try {
    const m = loadManifest(dir)
    return Object.fromEntries(Object.entries(m.models).map(([id, e]) => [id, { file: e.file, sha256: e.sha256, steps: e.steps ?? null }]))
  } catch (e) {
    return { error: (e as Error).message.split('\n')[0] }
  }
}

