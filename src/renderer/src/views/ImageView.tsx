// Image view: the reconstruction beside the original (when attached) and a baseline at the same
// bytes (any of the bench's six codecs, fitted by the bench's rule), synchronised zoom/pan,
// brightness/contrast, detection overlays with agreement, uncertainty overlay, set 30's synthesised texture (marked,
// and switchable), segmentation and depth overlays of the reconstruction and the original with their agreement,
// caption and header details; saves the image with its overlays as PNG. The parts live in views/image/.
import { useEffect, useMemo, useState } from 'react'
import { Group, Paper, ScrollArea, Text } from '@mantine/core'
import type { Comparison, SegmentationModelId } from '../../../shared/api'
import { useEngine } from '../state'
import { SyncViewer, type OverlaySet, type SharedView } from '../components/SyncViewer'
import { DETECTED_COLOR, TRANSMITTED_COLOR, fmtBits } from '../theme'
import { AnalysisControls } from './image/AnalysisControls'
import { AnalysisLayer } from './image/AnalysisLayer'
import { BaselineChooser } from './image/BaselineChooser'
import { BaselinePane } from './image/BaselinePane'
import { DecodeStatus } from './image/DecodeStatus'
import { DisplayControls } from './image/DisplayControls'
import { OverlayControls } from './image/OverlayControls'
import { PacketDetails } from './image/PacketDetails'
import { PacketStepper } from './image/PacketStepper'
import { savePng } from './image/savePng'
import { TextureControl } from './image/TextureControl'
import { textureLabel } from './image/textureText'
import { useImageComparison } from './image/useImageComparison'
import { useSceneAnalysis, type AnalysisKind } from './image/useSceneAnalysis'

const WHOLE_IMAGE: SharedView = { zoom: 1, cx: 0.5, cy: 0.5 }

function originalLabel(cmp: Comparison): string {
  const m = cmp.metrics
  return `Original${m ? ` · reconstruction PSNR ${m.psnr.toFixed(1)} dB${Number.isFinite(m.ssim) ? `, SSIM ${m.ssim.toFixed(3)}` : ''}` : ''}`
}

export function ImageView() {
  const { selectedId, packets } = useEngine()
  const id = selectedId ?? packets[packets.length - 1]?.id ?? null
  const { detail, rec, cmp, codec, fitting, decoding, decodeError, showUncertainty, showTexture, chooseCodec, wantUncertainty, wantTexture, attachOriginal } = useImageComparison(id)
  const [showTx, setShowTx] = useState(true)
  const [showDet, setShowDet] = useState(true)
  const [brightness, setBrightness] = useState(100)
  const [contrast, setContrast] = useState(100)
  const [view, setView] = useState<SharedView>(WHOLE_IMAGE)
  useEffect(() => setView(WHOLE_IMAGE), [id])
  const [analysisKind, setAnalysisKind] = useState<AnalysisKind>('none')
  const [segModel, setSegModel] = useState<SegmentationModelId>('city')
  // Class colours over the picture by default; the depth map in place of it.
  const [opacity, setOpacity] = useState(0.6)
  const chooseAnalysis = (k: AnalysisKind) => (setAnalysisKind(k), setOpacity(k === 'depth' ? 1 : 0.6))
  const analysis = useSceneAnalysis(analysisKind, segModel, rec, cmp?.original ?? null)

  const filter = `brightness(${brightness}%) contrast(${contrast}%)`
  const transmitted = rec?.transmitted ?? detail?.transmitted ?? []
  const overlays = useMemo(() => {
    const o: OverlaySet[] = []
    if (showTx) o.push({ boxes: transmitted, color: TRANSMITTED_COLOR, dashed: true, label: 'transmitted' })
    if (rec && showDet) o.push({ boxes: rec.detected, color: DETECTED_COLOR, label: 'detected' })
    return o
  }, [rec, showTx, showDet, transmitted])
  // The sender ran its detector on the original, so its boxes belong on the original too.
  const originalOverlays = useMemo(() => (showTx ? [{ boxes: transmitted, color: TRANSMITTED_COLOR, dashed: true, label: 'transmitted' }] : []), [showTx, transmitted])
  const W = rec?.width ?? detail?.width ?? 0
  const H = rec?.height ?? detail?.height ?? 0
  // The original and the baseline are shown once an original is attached (and the image's size is known).
  const originalSrc = W > 0 ? (cmp?.original ?? null) : null
  const shown = analysisKind !== 'none' ? analysis.loaded : null
  const layerOf = (side: 'rec' | 'orig') => {
    const map = shown?.[side]
    return shown && map ? <AnalysisLayer map={map} colours={shown.colours} width={W} height={H} opacity={opacity} kind={shown.kind} /> : null
  }

  if (id === null)
    return (
      <Paper p="xl" withBorder>
        <Text c="dimmed">No packet selected. Open one from the timeline or the packet table.</Text>
      </Paper>
    )

  return (
    <Group align="stretch" gap="sm" wrap="nowrap" style={{ flex: 1, minHeight: 0 }}>
      <Paper withBorder p="sm" w={330} style={{ display: 'flex', flexDirection: 'column', minHeight: 0 }}>
        <PacketStepper id={id} />
        <ScrollArea style={{ flex: 1 }}>{detail && <PacketDetails detail={detail} caption={rec?.caption ?? detail.caption} texture={rec?.packetId === detail.id ? rec.texture : undefined} />}</ScrollArea>
      </Paper>
      <Paper withBorder p="sm" style={{ flex: 1, display: 'flex', flexDirection: 'column', minWidth: 0 }}>
        <OverlayControls
          rec={rec}
          transmittedCount={transmitted.length}
          shown={{ transmitted: showTx, detected: showDet, uncertainty: showUncertainty }}
          setTransmitted={setShowTx}
          setDetected={setShowDet}
          setUncertainty={wantUncertainty}
        />
        <DisplayControls
          brightness={brightness}
          contrast={contrast}
          zoom={view.zoom}
          setBrightness={setBrightness}
          setContrast={setContrast}
          reset={() => (setView(WHOLE_IMAGE), setBrightness(100), setContrast(100))}
          canAttach={!!detail && detail.status === 'ok'}
          canSave={!!rec}
          attachOriginal={attachOriginal}
          save={() => rec && savePng(rec, filter, overlays, showUncertainty ? rec.uncertainty : null)}
        />
        <TextureControl texture={rec?.texture} on={showTexture} busy={decoding} setOn={wantTexture} />
        <AnalysisControls kind={analysisKind} setKind={chooseAnalysis} model={segModel} setModel={setSegModel} opacity={opacity} setOpacity={setOpacity} analysis={analysis} enabled={!!rec} />
        {cmp?.original && <BaselineChooser octets={detail?.octets} codec={codec} chooseCodec={chooseCodec} baseline={cmp.baseline} fitting={!!fitting} />}
        <div style={{ flex: 1, minHeight: 0, display: 'flex', gap: 8 }}>
          <DecodeStatus id={id} detail={detail} decoding={decoding} hasReconstruction={!!rec} decodeError={decodeError} narrow={!!cmp?.original} />
          {rec && (
            <SyncViewer
              label={`Reconstruction · ${fmtBits(detail?.bits ?? 0)} · ${rec.steps ?? '?'} steps · ${(rec.decodeMs / 1000).toFixed(1)} s${textureLabel(rec.texture)}`}
              src={rec.image}
              width={rec.width}
              height={rec.height}
              view={view}
              setView={setView}
              filter={filter}
              overlays={overlays}
              uncertainty={showUncertainty ? rec.uncertainty : null}
              layer={layerOf('rec')}
              testId="reconstruction"
            />
          )}
          {cmp && originalSrc && <SyncViewer label={originalLabel(cmp)} src={originalSrc} width={W} height={H} view={view} setView={setView} filter={filter} overlays={originalOverlays} layer={layerOf('orig')} testId="original" />}
          {cmp && originalSrc && <BaselinePane baseline={cmp.baseline} fitting={fitting} codec={codec} octets={detail?.octets} width={W} height={H} view={view} setView={setView} filter={filter} />}
        </div>
        {(rec || cmp) && (
          <Text size="xs" c="dimmed" mt={4} data-testid="image-notes">
            {cmp?.note ?? ''} {rec?.notes.join(' · ') ?? ''}
          </Text>
        )}
      </Paper>
    </Group>
  )
}
