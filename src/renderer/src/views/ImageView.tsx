// Image view: the reconstruction beside the original (when attached) and a baseline at the same
// bytes (any of the bench's six codecs, fitted by the bench's rule), synchronised zoom/pan,
// brightness/contrast, detection overlays with agreement, uncertainty overlay, caption and header
// details; saves the image with its overlays as PNG.
import { useEffect, useMemo, useRef, useState } from 'react'
import { Alert, Badge, Button, Checkbox, FileButton, Group, Loader, NumberInput, Paper, ScrollArea, SegmentedControl, Slider, Stack, Table, Text, Title, Tooltip } from '@mantine/core'
import type { BaselineCodecId, BaselineFit, Comparison, PacketDetail, Reconstruction, TransmittedBox } from '../../../shared/api'
import { BASELINE_CODECS } from '../../../shared/schemas'
import { useEngine } from '../state'
import { SyncViewer, type OverlaySet, type SharedView } from '../components/SyncViewer'
import { DETECTED_COLOR, STATUS_COLOR, STATUS_LABEL, TRANSMITTED_COLOR, fmtBits, fmtTime } from '../theme'

async function fileToBase64(f: File): Promise<string> {
  const buf = new Uint8Array(await f.arrayBuffer())
  let s = ''
  for (let i = 0; i < buf.length; i += 0x8000) s += String.fromCharCode(...buf.subarray(i, i + 0x8000))
  return btoa(s)
}

function loadImg(src: string): Promise<HTMLImageElement> {
  return new Promise((res, rej) => {
    const i = new Image()
    i.onload = () => res(i)
    i.onerror = () => rej(new Error('image failed to load'))
    i.src = src
  })
}

async function savePng(rec: Reconstruction, filter: string, overlays: OverlaySet[], uncertainty: string | null) {
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

function Kv({ rows }: { rows: [string, React.ReactNode][] }) {
  return (
    <Table fz="xs" verticalSpacing={2} withRowBorders={false}>
      <Table.Tbody>
        {rows.map(([k, v]) => (
          <Table.Tr key={k}>
            <Table.Td c="dimmed" w={120}>
              {k}
            </Table.Td>
            <Table.Td className="mono">{v}</Table.Td>
          </Table.Tr>
        ))}
      </Table.Tbody>
    </Table>
  )
}

const codecName = (id: BaselineCodecId) => BASELINE_CODECS.find((c) => c.id === id)?.name ?? id

function baselineLabel(b: BaselineFit): string {
  const parts = [`Baseline ${b.name}`, `${fmtBits(b.bits ?? 0)} (${b.bytes} of ${b.targetBytes} octets)`]
  if (b.setting) parts.push(`${b.setting.name} ${Number(b.setting.value.toPrecision(3))}`)
  if (b.scale !== null && b.scale < 1) parts.push(`coded ${b.codedWidth}×${b.codedHeight}`)
  if (b.metrics) parts.push(`PSNR ${b.metrics.psnr.toFixed(1)} dB${Number.isFinite(b.metrics.ssim) ? `, SSIM ${b.metrics.ssim.toFixed(3)}` : ''}`)
  return parts.join(' · ')
}

export function ImageView() {
  const { api, guard, selectedId, selectPacket, packets, jobs } = useEngine()
  const [detail, setDetail] = useState<PacketDetail | null>(null)
  const [rec, setRec] = useState<Reconstruction | null>(null)
  const [cmp, setCmp] = useState<Comparison | null>(null)
  // The analyst's baseline codec stays chosen from packet to packet.
  const [codec, setCodec] = useState<BaselineCodecId>('webp')
  const codecRef = useRef(codec)
  codecRef.current = codec
  const [fitting, setFittingState] = useState<BaselineCodecId | null>(null)
  const fittingRef = useRef<BaselineCodecId | null>(null)
  const setFitting = (c: BaselineCodecId | null) => {
    fittingRef.current = c
    setFittingState(c)
  }
  // Each comparison request takes a number; only the latest one's answer is shown.
  const compareSeq = useRef(0)
  const [decoding, setDecoding] = useState(false)
  const [decodeError, setDecodeError] = useState<string | null>(null)
  const [showTx, setShowTx] = useState(true)
  const [showDet, setShowDet] = useState(true)
  const [showUnc, setShowUnc] = useState(false)
  const [brightness, setBrightness] = useState(100)
  const [contrast, setContrast] = useState(100)
  const [view, setView] = useState<SharedView>({ zoom: 1, cx: 0.5, cy: 0.5 })
  const id = selectedId ?? packets[packets.length - 1]?.id ?? null

  useEffect(() => {
    setDetail(null)
    setRec(null)
    setCmp(null)
    setFitting(null)
    compareSeq.current++
    setDecodeError(null)
    setView({ zoom: 1, cx: 0.5, cy: 0.5 })
    if (id === null) return
    let stale = false
    ;(async () => {
      const d = await guard(`Packet ${id}`, api.getPacket({ id }))
      if (stale || !d) return
      setDetail(d)
      if (d.status !== 'ok') return
      setDecoding(true)
      try {
        const r = await api.reconstruct({ id, uncertainty: showUnc || undefined })
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
    setShowUnc(on)
    if (on && rec && !rec.uncertainty && id !== null) {
      setDecoding(true)
      const r = await guard('Uncertainty map', api.reconstruct({ id, uncertainty: true }))
      if (r) setRec(r)
      setDecoding(false)
    }
  }

  const decodeJob = jobs.find((j) => j.kind === 'decode' && j.state === 'running' && j.label === `decode packet ${id}`)
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
  const idx = packets.findIndex((p) => p.id === id)

  if (id === null)
    return (
      <Paper p="xl" withBorder>
        <Text c="dimmed">No packet selected. Open one from the timeline or the packet table.</Text>
      </Paper>
    )

  const h = detail?.header as Record<string, unknown> | null | undefined
  const bits = detail?.bitsBreakdown
  return (
    <Group align="stretch" gap="sm" wrap="nowrap" style={{ flex: 1, minHeight: 0 }}>
      <Paper withBorder p="sm" w={330} style={{ display: 'flex', flexDirection: 'column', minHeight: 0 }}>
        <Group justify="space-between" mb="xs">
          <Button size="xs" variant="default" disabled={idx <= 0} onClick={() => selectPacket(packets[idx - 1].id)}>
            ◀ Prev
          </Button>
          <NumberInput size="xs" w={100} value={id} min={1} onChange={(v) => typeof v === 'number' && selectPacket(v)} aria-label="packet id" />
          <Button size="xs" variant="default" disabled={idx < 0 || idx >= packets.length - 1} onClick={() => selectPacket(packets[idx + 1].id)}>
            Next ▶
          </Button>
        </Group>
        <ScrollArea style={{ flex: 1 }}>
          {detail && (
            <Stack gap="xs">
              <Group gap="xs">
                <Title order={5}>Packet #{detail.id}</Title>
                <Badge variant="light" style={{ color: STATUS_COLOR[detail.status] }} data-testid="packet-status">
                  {STATUS_LABEL[detail.status]}
                </Badge>
              </Group>
              {detail.error && (
                <Alert color="red" variant="light" p="xs" title="Packet check failed" data-testid="packet-error">
                  <Text size="xs">{detail.error}. Shown for inspection; it cannot be decoded.</Text>
                </Alert>
              )}
              {(rec?.caption ?? detail.caption) && (
                <Paper p="xs" bg="dark.7">
                  <Text size="xs" c="dimmed">
                    Decoded caption
                  </Text>
                  <Text size="sm" data-testid="caption">
                    {rec?.caption ?? detail.caption}
                  </Text>
                </Paper>
              )}
              <Text size="xs" fw={600} tt="uppercase" c="dimmed">
                Primary header
              </Text>
              <Kv
                rows={[
                  ['received', fmtTime(detail.receivedAt, true)],
                  ['APID', detail.apid ?? '—'],
                  ['sequence count', detail.sequenceCount ?? '—'],
                  ['octets', `${detail.octets} (${fmtBits(detail.bits)})`],
                  ['CRC', detail.crcStored !== null ? `stored ${detail.crcStored?.toString(16)} / computed ${detail.crcComputed?.toString(16)}` : detail.status === 'ok' ? 'ok' : 'mismatch']
                ]}
              />
              {h && (
                <>
                  <Text size="xs" fw={600} tt="uppercase" c="dimmed">
                    GSC header
                  </Text>
                  <Kv
                    rows={[
                      ['format', String(h.formatVersion ?? '—')],
                      ['size', `${h.width}×${h.height}`],
                      ['model', String(h.modelId ?? '—')],
                      ['channels (C)', Array.isArray(h.channelIndices) ? `${h.channelIndices.length}: ${(h.channelIndices as number[]).join(', ')}` : String(detail.c ?? '—')],
                      ['quant step', String(h.quantStep ?? '—')],
                      ['steps / seed', `${h.steps ?? '—'} / ${h.seed ?? '—'}`],
                      ['caption mode', String(h.captionMode ?? '—')]
                    ]}
                  />
                </>
              )}
              {bits && (
                <>
                  <Text size="xs" fw={600} tt="uppercase" c="dimmed">
                    Bits
                  </Text>
                  <Kv rows={Object.entries(bits).map(([k, v]) => [k, `${v} bit`])} />
                  {detail.width && detail.height && (
                    <Text size="xs" c="dimmed">
                      {(detail.bits / (detail.width * detail.height)).toFixed(4)} bits per pixel
                    </Text>
                  )}
                </>
              )}
              <Text size="xs" fw={600} tt="uppercase" c="dimmed">
                Raw (first 48 octets)
              </Text>
              <Text size="10px" className="mono" c="dimmed" style={{ wordBreak: 'break-all' }}>
                {detail.hexPreview}
              </Text>
            </Stack>
          )}
        </ScrollArea>
      </Paper>
      <Paper withBorder p="sm" style={{ flex: 1, display: 'flex', flexDirection: 'column', minWidth: 0 }}>
        <Group gap="md" mb="xs" wrap="wrap">
          <Checkbox label={<span style={{ color: TRANSMITTED_COLOR }}>Transmitted detections ({transmitted.length})</span>} checked={showTx} onChange={(e) => setShowTx(e.currentTarget.checked)} data-testid="toggle-transmitted" />
          <Checkbox label={<span style={{ color: DETECTED_COLOR }}>Detections on reconstruction ({rec?.detected.length ?? 0})</span>} checked={showDet} onChange={(e) => setShowDet(e.currentTarget.checked)} data-testid="toggle-detected" />
          <Checkbox label="Uncertainty map" checked={showUnc} onChange={(e) => wantUncertainty(e.currentTarget.checked)} data-testid="toggle-uncertainty" />
          {rec?.agreement ? (
            <Tooltip label={`precision ${rec.agreement.precision.toFixed(2)} · recall ${rec.agreement.recall.toFixed(2)} (IoU ≥ 0.5)`}>
              <Badge size="lg" variant="light" color={rec.agreement.f1 >= 0.7 ? 'green' : rec.agreement.f1 >= 0.4 ? 'yellow' : 'red'} data-testid="agreement">
                agreement F1 {rec.agreement.f1.toFixed(2)}
              </Badge>
            </Tooltip>
          ) : rec ? (
            <Badge size="lg" variant="outline" color="gray" data-testid="agreement">
              no transmitted detections
            </Badge>
          ) : null}
        </Group>
        <Group gap="md" mb="xs" wrap="wrap">
          <Text size="xs">Brightness</Text>
          <Slider w={140} size="sm" min={20} max={250} value={brightness} onChange={setBrightness} label={(v) => `${v}%`} />
          <Text size="xs">Contrast</Text>
          <Slider w={140} size="sm" min={20} max={250} value={contrast} onChange={setContrast} label={(v) => `${v}%`} />
          <Button size="xs" variant="default" onClick={() => (setView({ zoom: 1, cx: 0.5, cy: 0.5 }), setBrightness(100), setContrast(100))}>
            Reset view
          </Button>
          <Text size="xs" c="dimmed">
            zoom ×{view.zoom.toFixed(1)}
          </Text>
          <FileButton
            accept="image/png,image/jpeg,image/webp"
            onChange={async (f) => {
              if (!f || id === null) return
              const seq = ++compareSeq.current
              setFitting(codec)
              const c = await guard('Attach original', api.attachOriginal({ id, name: f.name, data: await fileToBase64(f), codec }))
              if (seq !== compareSeq.current) return
              setFitting(null)
              if (c) setCmp(c)
            }}
          >
            {(props) => (
              <Button size="xs" variant="default" {...props} disabled={!detail || detail.status !== 'ok'} data-testid="attach-original">
                Attach original…
              </Button>
            )}
          </FileButton>
          <Button size="xs" disabled={!rec} onClick={() => rec && savePng(rec, filter, overlays, showUnc ? rec.uncertainty : null)} data-testid="save-png">
            Save PNG
          </Button>
        </Group>
        {cmp?.original && (
          <Group gap="sm" mb="xs" wrap="nowrap" data-testid="baseline-panel">
            <Text size="xs" style={{ whiteSpace: 'nowrap' }}>
              Baseline at the packet's {detail?.octets ?? '?'} octets
            </Text>
            <SegmentedControl
              size="xs"
              style={{ flexShrink: 0 }}
              value={codec}
              onChange={(v) => chooseCodec(v as BaselineCodecId)}
              data={BASELINE_CODECS.map((c) => ({ value: c.id, label: c.name }))}
              aria-label="baseline codec"
              data-testid="baseline-codec"
            />
            {cmp.baseline && !fitting && (
              <Text
                size="xs"
                c={cmp.baseline.reached ? 'dimmed' : 'orange.4'}
                lineClamp={2}
                style={{ flex: 1, minWidth: 0 }}
                title={`${cmp.baseline.summary}\n${cmp.baseline.label}`}
                data-testid="baseline-fit"
                data-codec={cmp.baseline.codec}
                data-reached={String(cmp.baseline.reached)}
              >
                {cmp.baseline.summary}
              </Text>
            )}
          </Group>
        )}
        <div style={{ flex: 1, minHeight: 0, display: 'flex', gap: 8 }}>
          {detail && detail.status !== 'ok' && (
            <Paper p="xl" style={{ flex: 1 }} bg="dark.8">
              <Text c="red.4" fw={600}>
                No image: this packet failed its checks ({detail.error ?? detail.status}).
              </Text>
              <Text size="sm" c="dimmed">
                The raw bytes are kept as received; the rest of the pass is unaffected.
              </Text>
            </Paper>
          )}
          {decoding && !rec && (
            <Stack align="center" justify="center" style={{ flex: 1 }} data-testid="decoding">
              <Loader />
              <Text size="sm">Regenerating the image… {decodeJob?.detail ?? ''}</Text>
              {decodeJob && (
                <Button size="xs" color="red" variant="light" onClick={() => api.cancelJob({ jobId: decodeJob.id })}>
                  Cancel decode
                </Button>
              )}
            </Stack>
          )}
          {decodeError && (
            <Alert color="red" title="Decode failed" style={{ flex: 1, maxWidth: cmp?.original ? 360 : undefined }} data-testid="decode-error">
              {decodeError}
            </Alert>
          )}
          {rec && (
            <SyncViewer
              label={`Reconstruction · ${fmtBits(detail?.bits ?? 0)} · ${rec.steps ?? '?'} steps · ${(rec.decodeMs / 1000).toFixed(1)} s`}
              src={rec.image}
              width={rec.width}
              height={rec.height}
              view={view}
              setView={setView}
              filter={filter}
              overlays={overlays}
              uncertainty={showUnc ? rec.uncertainty : null}
              testId="reconstruction"
            />
          )}
          {W > 0 && cmp?.original && (
            <SyncViewer
              label={`Original${cmp.metrics ? ` · reconstruction PSNR ${cmp.metrics.psnr.toFixed(1)} dB${Number.isFinite(cmp.metrics.ssim) ? `, SSIM ${cmp.metrics.ssim.toFixed(3)}` : ''}` : ''}`}
              src={cmp.original}
              width={W}
              height={H}
              view={view}
              setView={setView}
              filter={filter}
              overlays={originalOverlays}
              testId="original"
            />
          )}
          {W > 0 && cmp?.original && (fitting || !cmp.baseline) && (
            <Stack align="center" justify="center" gap="xs" style={{ flex: 1 }} data-testid="baseline-fitting">
              <Loader size="sm" />
              <Text size="xs" c="dimmed">
                Fitting {codecName(fitting ?? codec)} to {detail?.octets ?? '?'} octets…
              </Text>
            </Stack>
          )}
          {W > 0 && cmp?.original && !fitting && cmp.baseline?.image && (
            <SyncViewer label={baselineLabel(cmp.baseline)} src={cmp.baseline.image} width={W} height={H} view={view} setView={setView} filter={filter} testId="baseline" />
          )}
          {W > 0 && cmp?.original && !fitting && cmp.baseline && !cmp.baseline.image && (
            <Alert
              color={cmp.baseline.error ? 'red' : 'orange'}
              variant="light"
              style={{ flex: 1, alignSelf: 'flex-start' }}
              title={cmp.baseline.error ? `${cmp.baseline.name} could not run` : `${cmp.baseline.name} cannot fit in ${cmp.baseline.targetBytes} octets`}
              data-testid="baseline-unreachable"
            >
              <Text size="sm">
                {cmp.baseline.error
                  ? cmp.baseline.error
                  : `Its smallest file of this image is ${cmp.baseline.bytes} octets (${(cmp.baseline.bytes! / cmp.baseline.targetBytes).toFixed(1)}× the packet), at its lowest setting and smallest scale. No ${cmp.baseline.name} image is shown rather than a larger file.`}
              </Text>
            </Alert>
          )}
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

export type { TransmittedBox }
