import type { CommandSpec } from '../framework'
import { stringOpt } from '../framework'
import { defaultModelsDir, generatorSampling, loadManifest, verifyModel, type GeneratorSampling } from '../../core/models/manifest'

interface ModelRow {
  id: string
  stage: string
  file: string
  bytes: number | null
  sha256: string
  verified: boolean | null
  error?: string
  steps?: unknown
  hardware?: unknown
  metrics?: Record<string, unknown>
  /** The generator's recommended sampling (gsc decode's defaults). */
  sampling?: GeneratorSampling
}

interface ModelsResult {
  dir: string
  totalBytes: number
  models: ModelRow[]
}

const models: CommandSpec<ModelsResult> = {
  name: 'models',
  summary: 'list the shipped models and verify their hashes',
  usage: 'gsc models [--verify] [--dir <resources/models>] [--json]\n  --verify  hash every model file and compare with manifest.json (exit code 1 on a mismatch)',
  options: { verify: { type: 'boolean', default: false }, dir: { type: 'string' } },
  async run(args) {
    const dir = stringOpt(args, 'dir') ?? defaultModelsDir()
    const manifest = loadManifest(dir)
    const rows: ModelRow[] = []
    let total = 0
    for (const [id, e] of Object.entries(manifest.models)) {
      const row: ModelRow = { id, stage: e.stage, file: e.file, bytes: null, sha256: e.sha256, verified: null, steps: e.steps, hardware: e.hardware, metrics: e.metrics }
      if (e.sampling) row.sampling = generatorSampling(e)
      const v = verifyModel(id, dir)
      row.bytes = v.bytes
      if (v.bytes) total += v.bytes
      if (args.values.verify) {
        row.verified = v.ok
        if (v.error) row.error = v.error
      } else if (!v.exists) row.error = v.error
      rows.push(row)
    }
    const bad = rows.filter((r) => r.verified === false || (r.error && r.bytes === null))
    if (args.values.verify && bad.length) process.exitCode = 1
    return { dir, totalBytes: total, models: rows }
  },
  format(r) {
    const lines = [`models in ${r.dir} (${(r.totalBytes / 1e6).toFixed(1)} MB)`]
    for (const m of r.models) {
      const size = m.bytes === null ? 'missing' : `${(m.bytes / 1e6).toFixed(2)} MB`
      const status = m.verified === null ? '' : m.verified ? ' verified' : ' HASH MISMATCH'
      const metrics = m.metrics ? Object.entries(m.metrics).filter(([, v]) => typeof v === 'number' || typeof v === 'string').slice(0, 4).map(([k, v]) => `${k}=${typeof v === 'number' ? +v.toFixed(4) : v}`).join(' ') : ''
      lines.push(`  ${m.id.padEnd(16)} ${m.stage.padEnd(16)} ${m.file.padEnd(22)} ${size.padStart(9)} ${m.sha256.slice(0, 12)}${status}${metrics ? '  ' + metrics : ''}`)
      if (m.sampling)
        lines.push(`    decode defaults: ${m.sampling.steps} flow steps, temperature ${m.sampling.temperature}, frequencies u+v < ${m.sampling.holdBelowFrequency} held on the prior`)
      if (m.error) lines.push(`    ! ${m.error}`)
    }
    return lines.join('\n')
  }
}

export default models
