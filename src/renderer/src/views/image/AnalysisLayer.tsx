// One analysis map drawn over an image panel: a canvas at the map's own size stretched over the picture, each byte
// looked up in a colour table (class colours or the depth ramp). It sits in the panel's stage, so it zooms and pans
// with the picture.
import { useEffect, useRef } from 'react'
import type { ByteMap } from './analysisMaps'

export function AnalysisLayer(props: { map: ByteMap; colours: Uint8ClampedArray; width: number; height: number; opacity: number; kind: 'segmentation' | 'depth' }) {
  const ref = useRef<HTMLCanvasElement>(null)
  const { map, colours } = props
  useEffect(() => {
    const ctx = ref.current?.getContext('2d')
    if (!ctx) return
    const img = ctx.createImageData(map.width, map.height)
    const px = img.data
    for (let i = 0; i < map.bytes.length; i++) {
      const c = map.bytes[i] * 4
      px[4 * i] = colours[c]
      px[4 * i + 1] = colours[c + 1]
      px[4 * i + 2] = colours[c + 2]
      px[4 * i + 3] = colours[c + 3]
    }
    ctx.putImageData(img, 0, 0)
  }, [map, colours])
  return (
    <canvas
      ref={ref}
      width={map.width}
      height={map.height}
      data-testid="analysis-layer"
      data-kind={props.kind}
      style={{
        position: 'absolute',
        left: 0,
        top: 0,
        width: props.width,
        height: props.height,
        opacity: props.opacity,
        // class edges stay crisp; the coarser depth map is smoothed as it is stretched
        imageRendering: props.kind === 'segmentation' ? 'pixelated' : 'auto',
        pointerEvents: 'none'
      }}
    />
  )
}
