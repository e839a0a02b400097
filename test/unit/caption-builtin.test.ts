// The built-in captioner: deterministic, 15-60 words, and it says what the inputs contain.
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import type { Detection } from '../../src/core/analysis/detections'
import { builtinCaption, guessSetting, plural, positionPhrase } from '../../src/core/caption/builtin'
import { colourName, sceneStats } from '../../src/core/caption/sceneStats'
import { captionImage } from '../../src/core/caption/captionImage'
import { readImage, type RgbImage } from '../../src/core/image/rgbImage'
import { haveSharedData, sharedData } from '../fixtures/sharedData'

const DATA = sharedData()
const haveData = haveSharedData('caption-builtin photo cases', sharedData('kodak', 'kodim01.png'))

const words = (s: string) => s.split(/\s+/).filter(Boolean).length

/** Top half one colour, bottom half another. */
function twoBands(w: number, h: number, top: number[], bottom: number[]): RgbImage {
  const data = new Uint8Array(w * h * 3)
  for (let y = 0; y < h; y++) for (let x = 0; x < w; x++) data.set(y < h / 2 ? top : bottom, 3 * (y * w + x))
  return { width: w, height: h, data }
}

const det = (className: string, classId: number, score: number, box: Detection['box']): Detection => ({ classId, className, score, box })

describe('scene statistics', () => {
  it('names colours', () => {
    expect(colourName(250, 250, 250)).toBe('white')
    expect(colourName(5, 5, 5)).toBe('black')
    expect(colourName(128, 128, 128)).toBe('grey')
    expect(colourName(220, 30, 30)).toBe('red')
    expect(colourName(40, 180, 50)).toBe('green')
    expect(colourName(60, 110, 220)).toBe('blue')
    expect(colourName(240, 220, 40)).toBe('yellow')
    expect(colourName(120, 70, 30)).toBe('brown')
  })

  it('sees sky above vegetation in a blue-over-green frame', () => {
    const s = sceneStats(twoBands(200, 100, [90, 150, 230], [40, 140, 40]))
    expect(s.skyAbove).toBe(true)
    expect(s.ground).toBe('vegetation')
    expect(s.dominant.slice().sort()).toEqual(['blue', 'green'])
    expect(guessSetting(s, [])).toBe('outdoor')
  })
})

describe('builtinCaption', () => {
  const img = twoBands(300, 200, [90, 150, 230], [40, 140, 40])
  const dets = [
    det('dog', 16, 0.9, [250, 160, 290, 195]), // 40x35 of 300x200 = 2.3% -> small
    det('person', 0, 0.8, [10, 20, 60, 190]),
    det('person', 0, 0.7, [70, 20, 110, 190]),
    det('cat', 15, 0.2, [0, 0, 10, 10]) // below the caption score floor
  ]

  it('describes counts, positions, sizes, colours and layout', () => {
    const c = builtinCaption(img, dets)
    expect(c).toContain('a dog at the bottom right, small')
    expect(c).toContain('two people')
    expect(c).toContain('on the left')
    expect(c).toContain('outdoor')
    expect(c).toContain('sky across the top')
    expect(c).toContain('vegetation along the bottom')
    expect(c).not.toContain('cat')
    expect(words(c)).toBeGreaterThanOrEqual(15)
    expect(words(c)).toBeLessThanOrEqual(60)
  })

  it('is deterministic and independent of detection order', () => {
    const a = builtinCaption(img, dets)
    expect(builtinCaption(img, dets)).toBe(a)
    expect(builtinCaption(img, [...dets].reverse())).toBe(a)
  })

  it('stays within 15-60 words with no objects and with many classes', () => {
    const flat = { width: 64, height: 64, data: new Uint8Array(64 * 64 * 3).fill(20) }
    const none = builtinCaption(flat, [])
    expect(words(none)).toBeGreaterThanOrEqual(15)
    expect(none).toContain('dark')
    const many = Array.from({ length: 40 }, (_, i) => det(`thing${i}`, i, 0.9 - i * 0.01, [i, i, i + 50, i + 50]))
    const c = builtinCaption(img, many)
    expect(words(c)).toBeLessThanOrEqual(60)
    expect(words(c)).toBeGreaterThanOrEqual(15)
  })

  it('uses plural and position words correctly', () => {
    expect(plural('person')).toBe('people')
    expect(plural('bus')).toBe('buses')
    expect(plural('car')).toBe('cars')
    expect(positionPhrase([0, 0, 10, 10], 300, 300)).toBe('at the top left')
    expect(positionPhrase([140, 140, 160, 160], 300, 300)).toBe('in the centre')
    expect(positionPhrase([280, 140, 300, 160], 300, 300)).toBe('on the right')
  })

  it.skipIf(!haveData)('captions real photos within 15-60 words, the same text twice', async () => {
    for (const f of ['kodim01.png', 'kodim05.png', 'kodim23.png']) {
      const im = await readImage(join(DATA, 'kodak', f))
      const a = await captionImage(im)
      const b = await captionImage(im)
      expect(a.caption).toBe(b.caption)
      expect(words(a.caption)).toBeGreaterThanOrEqual(15)
      expect(words(a.caption)).toBeLessThanOrEqual(60)
    }
  })
})
