// Sheets for a list of images: checks the request, makes each sheet in turn, then rewrites the folder's index.md.
import { existsSync } from 'node:fs'
import { mkdir, writeFile } from 'node:fs/promises'
import path from 'node:path'
import { GscError } from '../../util/errors'
import { realGscCodec } from '../gscCodec'
import { indexMarkdown, readSheets } from './indexMarkdown'
import { makeSheet } from './makeSheet'
import { DEFAULT_SHEET_CHANNELS, type SheetOptions, type SheetsResult } from './types'

function uniqueIds(files: string[]): string[] {
  const seen = new Map<string, number>()
  return files.map((f) => {
    const base = path.parse(f).name.replace(/[^A-Za-z0-9._-]/g, '_') || 'image'
    const n = (seen.get(base) ?? 0) + 1
    seen.set(base, n)
    return n === 1 ? base : `${base}-${n}`
  })
}

/** Makes one sheet per image (ids from the file names, made unique), then rebuilds <out>/index.md. */
export async function makeSheets(opts: SheetOptions): Promise<SheetsResult> {
  const channels = opts.channels ?? DEFAULT_SHEET_CHANNELS
  for (const c of channels) if (!Number.isInteger(c) || c < 1 || c > 64) throw new GscError(`channels must be integers 1..64, got ${c}`)
  for (const f of opts.images) if (!existsSync(f)) throw new GscError(`image not found: ${f}`)
  await mkdir(opts.out, { recursive: true })
  const gsc = opts.gsc ?? realGscCodec()
  const ids = uniqueIds(opts.images)
  const sheets: SheetsResult['sheets'] = []
  for (let i = 0; i < opts.images.length; i++) {
    opts.signal?.throwIfAborted()
    const rec = await makeSheet(opts.images[i], ids[i], { ...opts, gsc, channels }, (detail) =>
      opts.onProgress?.({ image: ids[i], done: i, total: opts.images.length, detail })
    )
    sheets.push({ id: rec.id, png: path.join(opts.out, rec.sheet.png), json: path.join(opts.out, `${rec.id}.json`), width: rec.sheet.width, height: rec.sheet.height, seconds: rec.timingMs.total / 1000 })
  }
  const index = path.join(opts.out, 'index.md')
  await writeFile(index, indexMarkdown(readSheets(opts.out), opts.command))
  return { out: opts.out, index, sheets }
}
