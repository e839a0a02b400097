// "Save PNG": the reconstruction as shown (brightness/contrast, uncertainty map, detection boxes with their
// labels) drawn at full resolution on a canvas and downloaded.
import type { Reconstruction } from '../../../../shared/api'
import type { OverlaySet } from '../../components/SyncViewer'

function loadImg(src: string): Promise<HTMLImageElement> {
  return new Promise((res, rej) => {
    const i = new Image()
    i.onload = () => res(i)
    i.onerror = () => rej(new Error('image failed to load'))
    i.src = src
  })
}

export async function savePng(rec: Reconstruction, filter: string, overlays: OverlaySet[], uncertainty: string | null) {
  const c = document.createElement('canvas')
  c.width = rec.width
  c.height = rec.height
  const ctx = c.getContext('2d')!
  ctx.filter = filter
  ctx.drawImage(await loadImg(rec.image), 0, 0)
  ctx.filter = 'none'
  if (uncertainty) {
    ctx.globalAlpha = 0.55
    ctx.globalCompositeOperation = 'screen'
    ctx.drawImage(await loadImg(uncertainty), 0, 0)
    ctx.globalAlpha = 1
    ctx.globalCompositeOperation = 'source-over'
  }
  ctx.lineWidth = 2
  ctx.font = '600 12px sans-serif'
  for (const o of overlays)
    for (const b of o.boxes) {
      const [x1, y1, x2, y2] = [b.box[0] * rec.width, b.box[1] * rec.height, b.box[2] * rec.width, b.box[3] * rec.height]
      ctx.strokeStyle = o.color
      ctx.setLineDash(o.dashed ? [8, 4] : [])
      ctx.strokeRect(x1, y1, x2 - x1, y2 - y1)
      const label = `${b.className} ${b.score.toFixed(2)}`
      ctx.fillStyle = o.color
      ctx.fillRect(x1, y1 - 15, ctx.measureText(label).width + 6, 15)
      ctx.fillStyle = '#0a0d11'
      ctx.fillText(label, x1 + 3, y1 - 3)
    }
  const a = document.createElement('a')
  a.href = c.toDataURL('image/png')
  a.download = `packet-${rec.packetId}-reconstruction.png`
  a.click()
}
