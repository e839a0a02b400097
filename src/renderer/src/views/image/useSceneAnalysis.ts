// The Image view's scene analysis: segmentation or depth of the reconstruction it shows and of the attached original,
// asked of the engine once per (reconstruction, original, analysis, model) and kept here too, so switching the
// overlay back and forth shows the maps at once. Only the latest request's answer is shown.
import { useEffect, useRef, useState } from 'react'
import type { DepthView, Reconstruction, SegmentationModelId, SegmentationView } from '../../../../shared/api'
import { useEngine } from '../../state'
import { classColourTable, depthColourTable, unpackMap, type ByteMap } from './analysisMaps'

export type AnalysisKind = 'none' | 'segmentation' | 'depth'

export type LoadedAnalysis =
  | { kind: 'segmentation'; view: SegmentationView; rec: ByteMap; orig: ByteMap | null; colours: Uint8ClampedArray }
  | { kind: 'depth'; view: DepthView; rec: ByteMap; orig: ByteMap | null; colours: Uint8ClampedArray }

interface Kept {
  rec: Reconstruction
  original: string | null
  key: string
  loaded: LoadedAnalysis
}

const KEEP = 8
const DEPTH_COLOURS = depthColourTable()

export interface SceneAnalysis {
  loaded: LoadedAnalysis | null
  loading: boolean
  error: string | null
}

export function useSceneAnalysis(kind: AnalysisKind, model: SegmentationModelId, rec: Reconstruction | null, original: string | null): SceneAnalysis {
  const { api } = useEngine()
  const kept = useRef<Kept[]>([])
  const seq = useRef(0)
  const [state, setState] = useState<SceneAnalysis>({ loaded: null, loading: false, error: null })

  useEffect(() => {
    const mine = ++seq.current
    if (kind === 'none' || !rec) return setState({ loaded: null, loading: false, error: null })
    const key = kind === 'segmentation' ? `segmentation:${model}` : 'depth'
    const hit = kept.current.find((k) => k.rec === rec && k.original === original && k.key === key)
    if (hit) return setState({ loaded: hit.loaded, loading: false, error: null })
    setState({ loaded: null, loading: true, error: null })
    ;(async () => {
      let loaded: LoadedAnalysis
      if (kind === 'segmentation') {
        const view = await api.imageSegmentation({ id: rec.packetId, model })
        loaded = { kind, view, rec: await unpackMap(view.reconstruction), orig: view.original ? await unpackMap(view.original) : null, colours: classColourTable(view.classes) }
      } else {
        const view = await api.imageDepth({ id: rec.packetId })
        loaded = { kind, view, rec: await unpackMap(view.reconstruction), orig: view.original ? await unpackMap(view.original) : null, colours: DEPTH_COLOURS }
      }
      kept.current = [{ rec, original, key, loaded }, ...kept.current].slice(0, KEEP)
      if (mine === seq.current) setState({ loaded, loading: false, error: null })
    })().catch((e: unknown) => {
      if (mine === seq.current) setState({ loaded: null, loading: false, error: e instanceof Error ? e.message : String(e) })
    })
  }, [api, kind, model, rec, original])

  return state
}
