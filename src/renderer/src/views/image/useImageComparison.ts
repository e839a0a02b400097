// The Image view's data for one packet: its detail, the reconstruction (with the uncertainty map when asked, without
// set 30's synthesised texture when the analyst turns it off) and the comparison with the original and a baseline at
// the same bytes. Both decode choices stay from packet to packet. The analyst's baseline codec stays
// chosen from packet to packet; each comparison request takes a number and only the latest one's answer is shown.
import { useEffect, useRef, useState } from 'react'
import type { BaselineCodecId, Comparison, PacketDetail, Reconstruction } from '../../../../shared/api'
import { useEngine } from '../../state'
import { codecName } from './baselineText'
import { fileToBase64 } from './fileToBase64'

export interface ImageComparison {
  detail: PacketDetail | null
  rec: Reconstruction | null
  cmp: Comparison | null
  codec: BaselineCodecId
  /** The codec being fitted to the packet's bytes right now, if any. */
  fitting: BaselineCodecId | null
  decoding: boolean
  decodeError: string | null
  showUncertainty: boolean
  /** Set 30's synthesised grain drawn (the station's default); other sets draw none either way. */
  showTexture: boolean
  chooseCodec: (next: BaselineCodecId) => Promise<void>
  wantUncertainty: (on: boolean) => Promise<void>
  wantTexture: (on: boolean) => Promise<void>
  attachOriginal: (file: File) => Promise<void>
}

export function useImageComparison(id: number | null): ImageComparison {
  const { api, guard } = useEngine()
  const [detail, setDetail] = useState<PacketDetail | null>(null)
  const [rec, setRec] = useState<Reconstruction | null>(null)
  const [cmp, setCmp] = useState<Comparison | null>(null)
  const [codec, setCodec] = useState<BaselineCodecId>('webp')
  const codecRef = useRef(codec)
  codecRef.current = codec
  const [fitting, setFittingState] = useState<BaselineCodecId | null>(null)
  const fittingRef = useRef<BaselineCodecId | null>(null)
  const setFitting = (c: BaselineCodecId | null) => {
    fittingRef.current = c
    setFittingState(c)
  }
  const compareSeq = useRef(0)
  const [decoding, setDecoding] = useState(false)
  const [decodeError, setDecodeError] = useState<string | null>(null)
  const [showUncertainty, setShowUncertainty] = useState(false)
  const [showTexture, setShowTexture] = useState(true)
  const idRef = useRef(id)
  idRef.current = id
  // Sent only when off: the engine's default draws it, and ignores `false` for a set without grain.
  const textureArg = (on: boolean) => (on ? {} : { texture: false })

  useEffect(() => {
    setDetail(null)
    setRec(null)
    setCmp(null)
    setFitting(null)
    compareSeq.current++
    setDecodeError(null)
    if (id === null) return
    let stale = false
    ;(async () => {
      const d = await guard(`Packet ${id}`, api.getPacket({ id }))
      if (stale || !d) return
      setDetail(d)
      if (d.status !== 'ok') return
      setDecoding(true)
      try {
        const r = await api.reconstruct({ id, uncertainty: showUncertainty || undefined, ...textureArg(showTexture) })
        if (!stale) setRec(r)
      } catch (e) {
        if (!stale) setDecodeError(e instanceof Error ? e.message : String(e))
      } finally {
        if (!stale) setDecoding(false)
      }
      // The original and the baseline do not need the decoder; asked after it so the reconstruction's
      // metrics come too. An attach or codec choice still in flight brings its own answer.
      if (stale || fittingRef.current) return
      const seq = ++compareSeq.current
      const c = await api.compare({ id, codec: codecRef.current }).catch(() => null)
      if (!stale && c && seq === compareSeq.current) setCmp(c)
    })()
    return () => {
      stale = true
    }
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [id, api])

  /** Fits the chosen codec to this packet's bytes (cached by the engine per packet and codec). */
  const chooseCodec = async (next: BaselineCodecId) => {
    setCodec(next)
    if (id === null || !cmp?.original) return
    const seq = ++compareSeq.current
    setFitting(next)
    const c = await guard(`Baseline ${codecName(next)}`, api.compare({ id, codec: next }))
    if (seq !== compareSeq.current) return
    setFitting(null)
    if (c) setCmp(c)
    else if (cmp.baseline) setCodec(cmp.baseline.codec) // the error was shown; the panel still holds the last fit
  }

  const wantUncertainty = async (on: boolean) => {
    setShowUncertainty(on)
    if (on && rec && !rec.uncertainty && id !== null) {
      setDecoding(true)
      const r = await guard('Uncertainty map', api.reconstruct({ id, uncertainty: true, ...textureArg(showTexture) }))
      if (r && r.packetId === idRef.current) setRec(r)
      setDecoding(false)
    }
  }

  /** Decodes the packet again with or without its synthesised grain, and refreshes the metrics against the original. */
  const wantTexture = async (on: boolean) => {
    setShowTexture(on)
    if (!rec?.texture || id === null) return
    setDecoding(true)
    const r = await guard('Synthesised texture', api.reconstruct({ id, uncertainty: showUncertainty || undefined, ...textureArg(on) }))
    setDecoding(false)
    if (!r || r.packetId !== idRef.current) return
    setRec(r)
    // The engine measures its most recently used decode of the packet: the one just shown.
    if (!cmp?.original || fittingRef.current) return
    const seq = ++compareSeq.current
    const c = await api.compare({ id, codec: codecRef.current }).catch(() => null)
    if (c && seq === compareSeq.current) setCmp(c)
  }

  const attachOriginal = async (file: File) => {
    if (id === null) return
    const seq = ++compareSeq.current
    setFitting(codec)
    const c = await guard('Attach original', api.attachOriginal({ id, name: file.name, data: await fileToBase64(file), codec }))
    if (seq !== compareSeq.current) return
    setFitting(null)
    if (c) setCmp(c)
  }

  return { detail, rec, cmp, codec, fitting, decoding, decodeError, showUncertainty, showTexture, chooseCodec, wantUncertainty, wantTexture, attachOriginal }
}
