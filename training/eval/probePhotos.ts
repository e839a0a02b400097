// What the station-side probes share about their photos: the PNGs of a folder in name order, each cropped to whole
// 16-px latent cells (top-left kept), as the station decodes them without padding, and each one's packets at every C.
import path from 'node:path'
import { readdirSync } from 'node:fs'
import { cropImage, readImage, type RgbImage } from '../../src/core/image/rgbImage'
import { prepareImage } from '../../src/core/codec/prepare'
import { packChannels } from '../../src/core/codec/packing'
import { decodeGscPacket, type DecodedGscPacket } from '../../src/core/bitstream/gscPacket'
import type { LearnedGenerativeModels } from '../../src/core/codec/codecModels'
import type { EncodeOptions } from '../../src/core/codec/types'

const CELL = 16

/** The .png files of `dir`, sorted by name. */
export function pngPhotos(dir: string): string[] {
  return readdirSync(dir).filter((x) => /\.png$/i.test(x)).sort()
}

/** `img` cropped to whole 16-px cells. */
export function cropToCells(img: RgbImage): RgbImage {
  return cropImage(img, img.width - (img.width % CELL), img.height - (img.height % CELL))
}

export interface ProbePacket {
  /** The photo's file name. */
  file: string
  /** The photo cropped to whole cells: what was encoded. */
  original: RgbImage
  models: LearnedGenerativeModels
  c: number
  parsed: DecodedGscPacket
}

/** Every photo of `dir` (cropped to cells) packed by a learned set's sender at each C, photo by photo; the photo's
 *  name is logged once its last C has been taken. */
export async function* probePackets(dir: string, cs: readonly number[], modelSet: number, opts: Pick<EncodeOptions, 'lumaRule'> = {}): AsyncGenerator<ProbePacket> {
  for (const file of pngPhotos(dir)) {
    const original = cropToCells(await readImage(path.join(dir, file)))
    const prep = await prepareImage(original, { modelSet })
    const models = prep.models as LearnedGenerativeModels
    for (const c of cs) yield { file, original, models, c, parsed: decodeGscPacket((await packChannels(prep, c, opts)).packet) }
    console.log(file)
  }
}
