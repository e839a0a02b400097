// The static caption model's tables, read from resources/models (manifest id 'caption_text_model') and refused
// unless the file's sha256 matches the manifest, like every model: captions decode only with the tables they were
// coded with. Built by tools/caption-model (npm run build:caption-model). Read from the default models folder even
// when a codec is given another one: the tables belong to the wire format, not to a model set.
import { createHash } from 'node:crypto'
import { existsSync, readFileSync } from 'node:fs'
import { join, resolve } from 'node:path'
import { GscError } from '../util/errors'
import { defaultModelsDir, modelEntry } from '../modelAssets/manifest'
import { deserializeModel, type StaticTextModel } from './textModelFormat'

export const CAPTION_TEXT_MODEL_ID = 'caption_text_model'

const cache = new Map<string, StaticTextModel>()

/** The verified static caption model of `dir` (default: resources/models), read once per folder. */
export function loadCaptionTextModel(dir?: string): StaticTextModel {
  const d = resolve(dir ?? defaultModelsDir())
  const cached = cache.get(d)
  if (cached) return cached
  const entry = modelEntry(CAPTION_TEXT_MODEL_ID, d)
  const file = join(d, entry.file)
  if (!existsSync(file)) throw new GscError(`static caption model missing: ${file} (listed in ${join(d, 'manifest.json')})`, 'ENOMODEL')
  // Hash the very bytes that are parsed.
  const bytes = readFileSync(file)
  const sha = createHash('sha256').update(bytes).digest('hex')
  if (sha !== entry.sha256)
    throw new GscError(`static caption model ${file} has sha256 ${sha.slice(0, 12)}..., the manifest expects ${entry.sha256.slice(0, 12)}... (captions would not decode)`, 'EMODELHASH')
  const model = deserializeModel(bytes)
  cache.set(d, model)
  return model
}
