// Models: the manifest's models (with their hashes checked on request), and the system information the
// interface shows: where the log and the models are, and which engine parts are available.
import { createHash } from 'node:crypto'
import { createReadStream, existsSync } from 'node:fs'
import path from 'node:path'
import type { ModelInfo } from '../../shared/api'
import { defaultModelsDir, loadManifest, modelSetStatus } from '../modelAssets/manifest'
import { GscError, describeError } from '../util/errors'
import { archiveName } from './archiveLocation'
import type { EngineContext } from './engineContext'
import type { HandlerTable } from './handlerTable'

interface ModelList {
  models: ModelInfo[]
  /** Why the manifest could not be read; null when it was. */
  error: string | null
  dir: string
}

function sha256File(file: string): Promise<string> {
  return new Promise<string>((res, rej) => {
    const h = createHash('sha256')
    createReadStream(file).on('data', (d) => h.update(d)).on('end', () => res(h.digest('hex'))).on('error', rej)
  })
}

/** The manifest's models; with `verify`, each file's sha256 checked against it. */
async function listModels(modelsDir: string | undefined, verify: boolean): Promise<ModelList> {
  const dir = path.resolve(modelsDir ?? defaultModelsDir())
  try {
    const man = loadManifest(modelsDir)
    const models: ModelInfo[] = []
    for (const [id, e] of Object.entries(man.models)) {
      const file = path.join(dir, e.file)
      let verified: boolean | null = null
      if (verify) verified = existsSync(file) ? (await sha256File(file)) === e.sha256 : false
      models.push({ id, stage: e.stage, file: e.file, sha256: e.sha256, verified, metrics: e.metrics ?? {}, notes: e.notes ?? null })
    }
    return { models, error: null, dir }
  } catch (e) {
    return { models: [], error: describeError(e), dir }
  }
}

/** Which engine parts this station has, as found when it opened. */
async function engineAvailability(modelsDir: string | undefined): Promise<Record<string, boolean>> {
  const man = await listModels(modelsDir, false)
  let decoder = false
  try {
    // some model set has every model listed and on disk (a packet of a set not installed is refused on its own)
    decoder = modelSetStatus(modelsDir).sets.some((set) => set.problem === null)
  } catch {
    decoder = false
  }
  return { packetLog: true, decoder, detector: man.models.some((m) => m.id === 'detector'), manifest: man.error === null }
}

export class ModelsDomain {
  private constructor(private engine: EngineContext, private available: Record<string, boolean>) {}

  static async open(engine: EngineContext): Promise<ModelsDomain> {
    return new ModelsDomain(engine, await engineAvailability(engine.opts.modelsDir))
  }

  readonly handlers: HandlerTable<'systemInfo' | 'verifyModels'> = {
    systemInfo: async () => {
      const { opts, ui, log } = this.engine
      const m = await listModels(opts.modelsDir, false)
      const dbFile = archiveName(log.kind, log.location)
      return {
        dbFile,
        eventsFile: `${dbFile} (events table${log.kind === 'postgres' ? ', shared' : ''}); interface state ${ui.file}`,
        version: process.env.npm_package_version ?? '0.1.0',
        modelsDir: m.dir,
        models: m.models,
        modelsError: m.error,
        frontDoor: opts.frontDoor,
        engine: { ...this.available }
      }
    },
    verifyModels: async () => {
      const m = await listModels(this.engine.opts.modelsDir, true)
      if (m.error) throw new GscError(m.error)
      const bad = m.models.filter((x) => x.verified === false)
      void this.engine.events.add(bad.length ? 'critical' : 'info', 'models', bad.length ? `hash mismatch: ${bad.map((b) => b.id).join(', ')}` : `${m.models.length} model hashes verified`)
      return m.models
    }
  }
}
