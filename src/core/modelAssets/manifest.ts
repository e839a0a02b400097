// The model manifest (resources/models/manifest.json) and verified ONNX sessions: a model whose file
// is missing or whose sha256 differs from the manifest is refused, so the station never decodes with
// weights other than the ones whose metrics the manifest reports.
import { createHash } from 'node:crypto'
import { existsSync, readFileSync, statSync } from 'node:fs'
import { dirname, join, resolve } from 'node:path'
import { availableParallelism } from 'node:os'
import { fileURLToPath } from 'node:url'
// Types only: onnxruntime's native addon loads when a session is first opened, so readers of the manifest
// (the packet coder's caption tables among them) do not load it.
import type * as ort from 'onnxruntime-node'
import { GscError, describeError } from '../util/errors'
import { analysisSessionOptions } from './sessionOptions'
import { LEGACY_MODEL_SET, MODEL_SET_ROLES, OPTIONAL_MODEL_SET_ROLES, isModelSetKind, rolesOf, type ModelSetSpec } from '../codec/modelIds'

export interface TensorSpec {
  name: string
  /** Numbers are fixed sizes; strings name dynamic axes (e.g. 'n', 'h', 'w'). */
  shape: (number | string)[]
  type: string
}

export interface ModelEntry {
  stage: string
  file: string
  sha256: string
  bytes?: number
  inputs: TensorSpec[]
  outputs: TensorSpec[]
  trainingData?: string
  steps?: number | string
  hardware?: string
  license?: string
  metrics?: Record<string, unknown>
  notes?: string
  /** Model-specific extras (normalisation constants, channel layout, vocabulary file, ...). */
  [extra: string]: unknown
}

export interface Manifest {
  formatVersion: number
  models: Record<string, ModelEntry>
  /** Model sets by id (the packet header's modelId): kind and role -> model id. Absent: set 1 alone, today's ids. */
  modelSets?: Record<string, { kind: string; models: Record<string, string>; alwaysSend?: number[]; networksOf?: number; wireQuantSteps?: number[]; consistentThumbnail?: { scale: number[]; offset: number[]; planes: number[] }; sharpenLuma?: { sigma: number; amount: number }; wire?: string }>
  /** The set the encoder uses unless told otherwise (default: 1). */
  defaultModelSet?: number
}

export type ExecutionProvider = 'cpu' | 'cuda'

export interface OpenModelOptions {
  executionProvider?: ExecutionProvider
  dir?: string
  /** A new session of its own, not cached, which the caller releases: onnxruntime's CPU memory arena keeps the
   *  largest run's memory for the session's life, so a run on a large image gets a session that goes with it. */
  fresh?: boolean
  /** false: a session without onnxruntime's CPU memory arena (nor its memory pattern), so memory a run took goes back
   *  when it ends instead of growing with every new picture size (the station's post-filter: session 42 measured 16
   *  decodes of 16 sizes in one process at 497 MiB against 626 MiB with the arena; set 33 without a filter: 422 MiB). */
  memoryArena?: boolean
}

/** resources/models: $GSC_MODELS_DIR if set, else found by walking up from this file, then from cwd. */
export function defaultModelsDir(): string {
  const env = process.env.GSC_MODELS_DIR
  if (env) return resolve(env)
  const starts = [dirname(fileURLToPath(import.meta.url)), process.cwd()]
  for (const start of starts) {
    let d = start
    for (let i = 0; i < 8; i++) {
      const candidate = join(d, 'resources', 'models')
      if (existsSync(join(candidate, 'manifest.json'))) return candidate
      const parent = dirname(d)
      if (parent === d) break
      d = parent
    }
  }
  return resolve(process.cwd(), 'resources', 'models')
}

const manifestCache = new Map<string, { mtimeMs: number; manifest: Manifest }>()

export function loadManifest(dir?: string): Manifest {
  const d = resolve(dir ?? defaultModelsDir())
  const file = join(d, 'manifest.json')
  if (!existsSync(file)) throw new GscError(`model manifest not found: ${file}`, 'ENOMODEL')
  const mtimeMs = statSync(file).mtimeMs
  const cached = manifestCache.get(file)
  if (cached && cached.mtimeMs === mtimeMs) return cached.manifest
  let parsed: unknown
  try {
    parsed = JSON.parse(readFileSync(file, 'utf8'))
  } catch (e) {
    throw new GscError(`model manifest ${file} is not valid JSON: ${describeError(e)}`, 'ENOMODEL')
  }
  const m = parsed as Manifest
  if (!m || typeof m !== 'object' || m.formatVersion !== 1 || typeof m.models !== 'object' || m.models === null)
    throw new GscError(`model manifest ${file} has an unsupported format (expected formatVersion 1 with a models table)`, 'ENOMODEL')
  for (const [id, e] of Object.entries(m.models)) {
    if (typeof e?.file !== 'string' || typeof e?.sha256 !== 'string' || !/^[0-9a-f]{64}$/.test(e.sha256))
      throw new GscError(`model manifest entry '${id}' lacks a file name or a sha256`, 'ENOMODEL')
  }
  checkModelSets(m, file)
  manifestCache.set(file, { mtimeMs, manifest: m })
  return m
}

/** Largest model set id a packet header can name. */
const MAX_MODEL_SET_ID = 255

function checkModelSets(m: Manifest, file: string): void {
  const bad = (what: string) => new GscError(`model manifest ${file}: ${what}`, 'ENOMODEL')
  if (m.modelSets !== undefined) {
    if (typeof m.modelSets !== 'object' || m.modelSets === null || Array.isArray(m.modelSets)) throw bad('modelSets must be an object of sets by id')
    for (const [id, set] of Object.entries(m.modelSets)) {
      if (!/^\d+$/.test(id) || Number(id) > MAX_MODEL_SET_ID) throw bad(`model set id '${id}' is not an integer 0..${MAX_MODEL_SET_ID}`)
      if (typeof set?.kind !== 'string' || typeof set.models !== 'object' || set.models === null || Object.values(set.models).some((v) => typeof v !== 'string'))
        throw bad(`model set ${id} needs a kind and a models table of role -> model id`)
      if (set.alwaysSend !== undefined && (!Array.isArray(set.alwaysSend) || !set.alwaysSend.every((c) => Number.isInteger(c) && c >= 0 && c < 1024)))
        throw bad(`model set ${id}: alwaysSend must be a list of channel indices`)
      if (set.wireQuantSteps !== undefined && (!Array.isArray(set.wireQuantSteps) || set.wireQuantSteps.length === 0))
        throw bad(`model set ${id}: wireQuantSteps must be a list of steps`)
      const ct = set.consistentThumbnail
      const three = (v: unknown) => Array.isArray(v) && v.length === 3 && v.every((x) => Number.isFinite(x))
      if (ct !== undefined && (!three(ct?.scale) || ct.scale.some((x) => x === 0) || !three(ct?.offset) || !Array.isArray(ct?.planes) || !ct.planes.every((x) => x === 0 || x === 1 || x === 2)))
        throw bad(`model set ${id}: consistentThumbnail needs scale and offset (3 numbers each, no zero scale) and planes (of 0, 1, 2)`)
      const sl = set.sharpenLuma
      if (sl !== undefined && !(Number.isFinite(sl?.sigma) && sl.sigma > 0 && sl.sigma <= 16 && Number.isFinite(sl?.amount) && sl.amount >= 0 && sl.amount <= 4))
        throw bad(`model set ${id}: sharpenLuma needs sigma (above 0, at most 16) and amount (0..4)`)
      if (set.networksOf !== undefined) {
        const of = m.modelSets[String(set.networksOf)]
        if (!Number.isInteger(set.networksOf) || !of || set.networksOf === Number(id))
          throw bad(`model set ${id}: networksOf must name another listed model set, got ${JSON.stringify(set.networksOf)}`)
        // every role runs set N's model, or one of this set's own (a decoder-only fine-tune: set N's g_a, its own decoder),
        // or one of a set further down the chain (set 28 runs set 27's decoder wherever set 27's entry points)
        const chain = networksChain(Number(id), (k) => m.modelSets?.[String(k)]?.networksOf)
        const own = (role: string) => {
          const e = m.models[set.models[role]] as { modelSet?: unknown } | undefined
          return chain.includes(e?.modelSet as number)
        }
        // beyond set N's roles, only an optional role of its kind, with a model of this set itself (set 34's post-filter),
        // not one of a set down the chain
        const ownOnly = (role: string) => (m.models[set.models[role]] as { modelSet?: unknown } | undefined)?.modelSet === Number(id)
        const optional: readonly string[] = isModelSetKind(set.kind) ? OPTIONAL_MODEL_SET_ROLES[set.kind] : []
        const roles = Object.keys(set.models).filter((r) => of.models[r] !== undefined || !optional.includes(r))
        const added = Object.keys(set.models).filter((r) => !roles.includes(r))
        if (of.kind !== set.kind || JSON.stringify([...roles].sort()) !== JSON.stringify(Object.keys(of.models).sort()) || roles.some((r) => set.models[r] !== of.models[r] && !own(r)) || added.some((r) => !ownOnly(r)))
          throw bad(`model set ${id}: networksOf ${set.networksOf} needs the same kind and roles as set ${set.networksOf}, each running set ${set.networksOf}'s model or one of set ${id}'s own (and may add, with a model of its own: ${optional.join(', ') || 'nothing'})`)
      }
    }
  }
  if (m.defaultModelSet !== undefined) {
    const ids = modelSetsOf(m).sets.map((s) => s.id)
    if (!Number.isInteger(m.defaultModelSet) || !ids.includes(m.defaultModelSet))
      throw bad(`defaultModelSet ${JSON.stringify(m.defaultModelSet)} is not one of the listed model sets (${ids.join(', ')})`)
  }
}

/** A set's id, then the set whose networks it runs (networksOf), then that one's, and so on (stopping at a repeat). */
export function networksChain(id: number, networksOf: (id: number) => number | undefined): number[] {
  const chain = [id]
  for (let k = networksOf(id); k !== undefined && !chain.includes(k); k = networksOf(k)) chain.push(k)
  return chain
}

/** The manifest's model sets (ascending id) and the default one; a manifest without modelSets lists set 1 alone. */
export function modelSetsOf(m: Manifest): { sets: ModelSetSpec[]; defaultId: number } {
  const sets: ModelSetSpec[] = m.modelSets
    ? Object.entries(m.modelSets)
        .map(([id, s]) => ({
          id: Number(id),
          kind: s.kind,
          models: { ...s.models },
          ...(s.alwaysSend ? { alwaysSend: [...s.alwaysSend] } : {}),
          ...(s.networksOf !== undefined ? { networksOf: s.networksOf } : {}),
          ...(typeof s.wire === 'string' ? { wire: s.wire } : {}),
          ...(s.wireQuantSteps !== undefined ? { wireQuantSteps: [...s.wireQuantSteps] } : {}),
          ...(s.consistentThumbnail !== undefined ? { consistentThumbnail: { scale: [...s.consistentThumbnail.scale], offset: [...s.consistentThumbnail.offset], planes: [...s.consistentThumbnail.planes] } } : {}),
          ...(s.sharpenLuma !== undefined ? { sharpenLuma: { sigma: s.sharpenLuma.sigma, amount: s.sharpenLuma.amount } } : {})
        }))
        .sort((a, b) => a.id - b.id)
    : [{ ...LEGACY_MODEL_SET, models: { ...LEGACY_MODEL_SET.models } }]
  return { sets, defaultId: m.defaultModelSet ?? 1 }
}

/**
 * Why model set `set` cannot be opened from `dir`, as one line naming the set and the missing piece (a kind this
 * build does not run, a role without a model, a model missing from the manifest or from disk); null when nothing
 * is missing. Hashes are checked when the models are opened.
 */
export function modelSetProblem(set: ModelSetSpec, m: Manifest, dir: string): string | null {
  const name = `model set ${set.id}`
  if (!isModelSetKind(set.kind)) return `${name} is of kind '${set.kind}', which this build cannot run (it runs: ${Object.keys(MODEL_SET_ROLES).join(', ')})`
  for (const role of rolesOf(set.kind, set.models)) {
    const id = set.models[role]
    if (id === undefined) return `${name} (${set.kind}) names no model for its ${role} in ${join(dir, 'manifest.json')}`
    const e = m.models[id]
    if (!e) return `${name} (${set.kind}) needs model '${id}' (${role}), which is missing from ${join(dir, 'manifest.json')}`
    if (!existsSync(join(dir, e.file))) return `${name} (${set.kind}) needs model '${id}' (${role}), whose file ${join(dir, e.file)} is missing`
  }
  return null
}

export interface ModelSetStatus extends ModelSetSpec {
  isDefault: boolean
  /** One line saying what is missing; null when every model of the set is listed and on disk. */
  problem: string | null
}

/** Every model set of the manifest in `dir` with whether it can be opened (files present; hashes not checked). */
export function modelSetStatus(dir?: string): { dir: string; defaultId: number; sets: ModelSetStatus[] } {
  const d = resolve(dir ?? defaultModelsDir())
  const m = loadManifest(d)
  const { sets, defaultId } = modelSetsOf(m)
  return { dir: d, defaultId, sets: sets.map((s) => ({ ...s, isDefault: s.id === defaultId, problem: modelSetProblem(s, m, d) })) }
}

export function modelEntry(id: string, dir?: string): ModelEntry {
  const m = loadManifest(dir)
  const e = m.models[id]
  if (!e) throw new GscError(`unknown model '${id}' (the manifest lists: ${Object.keys(m.models).join(', ') || 'none'})`, 'ENOMODEL')
  return e
}

export function sha256File(path: string): string {
  return createHash('sha256').update(readFileSync(path)).digest('hex')
}

/** The generator's decode defaults as the decoder applies them (manifest `sampling`; a missing field: 12 steps,
 *  temperature 1, nothing held). One reader, so the decoder, `gsc models` and the bench cache key agree. */
export interface GeneratorSampling {
  steps: number
  temperature: number
  holdBelowFrequency: number
}

export function generatorSampling(entry: ModelEntry | undefined): GeneratorSampling {
  const s = (entry?.sampling ?? {}) as { recommendedSteps?: number; temperature?: number; holdBelowFrequency?: number }
  return { steps: s.recommendedSteps ?? 12, temperature: s.temperature ?? 1, holdBelowFrequency: s.holdBelowFrequency ?? 0 }
}

export interface ModelVerification {
  id: string
  path: string
  exists: boolean
  bytes: number | null
  sha256: string | null
  ok: boolean
  error?: string
}

/** Hashes the model file and compares it with the manifest; never throws for a bad file. */
export function verifyModel(id: string, dir?: string): ModelVerification {
  const d = resolve(dir ?? defaultModelsDir())
  const e = modelEntry(id, d)
  const path = join(d, e.file)
  if (!existsSync(path)) return { id, path, exists: false, bytes: null, sha256: null, ok: false, error: `model file missing: ${path}` }
  const actual = sha256File(path)
  const ok = actual === e.sha256
  return {
    id, path, exists: true, bytes: statSync(path).size, sha256: actual, ok,
    ...(ok ? {} : { error: `model '${id}' (${path}) has sha256 ${actual.slice(0, 12)}..., the manifest expects ${e.sha256.slice(0, 12)}...` })
  }
}

const sessions = new Map<string, Promise<ort.InferenceSession>>()

/** Intra-op threads of the sessions openModel opens from now on (gsc worker --threads): several workers on one host
 *  share its cores instead of each running a thread per core. undefined: one per core the process may use
 *  (defaultModelThreads). */
let modelThreads: number | undefined
/**
 * One intra-op thread per core this process may use, set explicitly: onnxruntime's own default pool ran set 28's
 * decoder on one core of the 2-core station (259 ms wall for 263 ms CPU per 768x512 decode; 167 ms with 2 threads set,
 * docs/bench/codec.md), with the same packets and pixels (72 Kodak encodes and decodes at C = 1, 4, 16 byte-identical).
 */
export function defaultModelThreads(): number {
  return Math.max(1, availableParallelism())
}
export function setModelThreads(threads: number | undefined): void {
  modelThreads = threads
}
/** The intra-op threads the next codec session gets: the set budget, else defaultModelThreads. */
export function codecSessionThreads(): number {
  return modelThreads ?? defaultModelThreads()
}

/** A verified onnxruntime session for model `id`, cached per (dir, id, provider, file hash). */
export async function openModel(id: string, opts: OpenModelOptions = {}): Promise<ort.InferenceSession> {
  const dir = resolve(opts.dir ?? defaultModelsDir())
  const provider = opts.executionProvider ?? 'cpu'
  const e = modelEntry(id, dir)
  const threads = codecSessionThreads()
  const arena = opts.memoryArena !== false
  const key = `${dir}|${id}|${provider}|${e.sha256}|${threads}|${arena ? 'arena' : 'no-arena'}`
  const cached = opts.fresh ? undefined : sessions.get(key)
  if (cached) return cached
  const v = verifyModel(id, dir)
  if (!v.ok) throw new GscError(v.error ?? `model '${id}' failed verification`, 'EMODELHASH')
  const p = (async () => {
    try {
      // Deterministic single-session runs: sequential execution, fixed thread pool.
      const { InferenceSession } = await import('onnxruntime-node')
      const options = analysisSessionOptions(provider, threads)
      return await InferenceSession.create(v.path, arena ? options : { ...options, enableCpuMemArena: false, enableMemPattern: false })
    } catch (err) {
      if (!opts.fresh) sessions.delete(key)
      const hint = provider === 'cuda' ? ' (is onnxruntime-node installed with CUDA support? use the cpu provider otherwise)' : ''
      throw new GscError(`cannot load model '${id}' with the ${provider} provider: ${describeError(err)}${hint}`, 'ENOMODEL')
    }
  })()
  if (!opts.fresh) sessions.set(key, p)
  return p
}

/** Forget cached sessions (tests; after replacing model files). */
export async function closeModels(): Promise<void> {
  const all = [...sessions.values()]
  sessions.clear()
  manifestCache.clear()
  for (const s of all) {
    try {
      await (await s).release()
    } catch {
      /* already failed or released */
    }
  }
}
