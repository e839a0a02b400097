import type { CommandSpec } from '../framework'
import { stringOpt } from '../framework'
import { defaultModelsDir, generatorSampling, loadManifest, modelSetStatus, verifyModel, type GeneratorSampling } from '../../core/modelAssets/manifest'

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
  /** The model sets this model belongs to. */
  sets: number[]
}

interface ModelSetRow {
  id: number
  kind: string
  /** role -> manifest model id */
  models: Record<string, string>
  /** What its packets carry where it differs from the set whose networks it runs (manifest `wire`). */
  wire?: string
  isDefault: boolean
  /** Every model listed and on disk (and, with --verify, matching its hash). */
  installed: boolean
  problem: string | null
}

interface ModelsResult {
  dir: string
  totalBytes: number
  /** The set gsc encode uses unless told otherwise (--model-set). */
  defaultModelSet: number
  modelSets: ModelSetRow[]
  models: ModelRow[]
}

const models: CommandSpec<ModelsResult> = {
  name: 'models',
  summary: 'list the shipped model sets and models and verify their hashes',
  usage:
    'gsc models [--verify] [--dir <resources/models>] [--json]\n' +
    '  Lists the model sets (a packet decodes with the set its header names; encode uses the default one) and every model.\n' +
    '  --verify  hash every model file and compare with manifest.json (exit code 1 on a mismatch)',
  options: { verify: { type: 'boolean', default: false }, dir: { type: 'string' } },
  async run(args) {
    const dir = stringOpt(args, 'dir') ?? defaultModelsDir()
    const manifest = loadManifest(dir)
    const status = modelSetStatus(dir)
    const rows: ModelRow[] = []
    let total = 0
    for (const [id, e] of Object.entries(manifest.models)) {
      const sets = status.sets.filter((s) => Object.values(s.models).includes(id)).map((s) => s.id)
      const row: ModelRow = { id, stage: e.stage, file: e.file, bytes: null, sha256: e.sha256, verified: null, steps: e.steps, hardware: e.hardware, metrics: e.metrics, sets }
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
    const modelSets = status.sets.map((s) => {
      const mismatch = rows.find((r) => r.verified === false && Object.values(s.models).includes(r.id))
      const problem = s.problem ?? (mismatch ? `model set ${s.id}: ${mismatch.error ?? `model '${mismatch.id}' failed verification`}` : null)
      return { id: s.id, kind: s.kind, models: s.models, ...(s.wire ? { wire: s.wire } : {}), isDefault: s.isDefault, installed: problem === null, problem }
    })
    return { dir, totalBytes: total, defaultModelSet: status.defaultId, modelSets, models: rows }
  },
  format(r) {
    const lines = [`models in ${r.dir} (${(r.totalBytes / 1e6).toFixed(1)} MB)`, 'model sets (a packet decodes with the set its header names):']
    for (const s of r.modelSets) {
      lines.push(`  set ${s.id} ${s.kind}${s.isDefault ? ' (default for encoding)' : ''}: ${Object.entries(s.models).map(([role, id]) => (role === id ? id : `${role}=${id}`)).join(', ')}${s.installed ? '' : '  NOT INSTALLED'}`)
      if (s.wire) lines.push(`    wire: ${s.wire}`)
      if (s.problem) lines.push(`    ! ${s.problem}`)
    }
    if (!r.modelSets.some((s) => s.id === r.defaultModelSet)) lines.push(`  ! the default set ${r.defaultModelSet} is not listed`)
    lines.push('models:')
    for (const m of r.models) {
      const size = m.bytes === null ? 'missing' : `${(m.bytes / 1e6).toFixed(2)} MB`
      const status = m.verified === null ? '' : m.verified ? ' verified' : ' HASH MISMATCH'
      const metrics = m.metrics ? Object.entries(m.metrics).filter(([, v]) => typeof v === 'number' || typeof v === 'string').slice(0, 4).map(([k, v]) => `${k}=${typeof v === 'number' ? +v.toFixed(4) : v}`).join(' ') : ''
      const sets = m.sets.length ? `  [set ${m.sets.join(', ')}]` : ''
      lines.push(`  ${m.id.padEnd(18)} ${m.stage.padEnd(16)} ${m.file.padEnd(24)} ${size.padStart(9)} ${m.sha256.slice(0, 12)}${status}${sets}${metrics ? '  ' + metrics : ''}`)
      if (m.sampling)
        lines.push(`    decode defaults: ${m.sampling.steps} flow steps, temperature ${m.sampling.temperature}, frequencies u+v < ${m.sampling.holdBelowFrequency} held on the prior`)
      if (m.error) lines.push(`    ! ${m.error}`)
    }
    return lines.join('\n')
  }
}

export default models
