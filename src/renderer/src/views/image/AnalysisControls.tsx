// The "Analysis overlay" row of the Image view: none / segmentation / depth, the segmentation model, the overlay's
// opacity, the agreement of the reconstruction's analysis with the original's, and the legend (the classes present,
// or the depth ramp).
import { Alert, Badge, ColorSwatch, Group, Loader, SegmentedControl, Slider, Text, Tooltip } from '@mantine/core'
import type { SegmentationModelId, SegmentationView } from '../../../../shared/api'
import { depthGradientCss, isUndrawnClass } from './analysisMaps'
import type { AnalysisKind, SceneAnalysis } from './useSceneAnalysis'

const pct = (v: number) => `${(100 * v).toFixed(v > 0 && v < 0.01 ? 1 : 0)}%`

/** Higher-is-better figures coloured as the detection agreement is: green from 0.7, yellow from 0.4, else red. */
const higherColour = (v: number) => (v >= 0.7 ? 'green' : v >= 0.4 ? 'yellow' : 'red')
/** AbsRel: green to 0.1, yellow to 0.25, else red. */
const absRelColour = (v: number) => (v <= 0.1 ? 'green' : v <= 0.25 ? 'yellow' : 'red')

function Figure(props: { label: string; value: number; digits: number; colour: string; tip: string; testId: string }) {
  return (
    <Tooltip label={props.tip} multiline w={320}>
      <Badge size="lg" variant="light" color={props.colour} data-testid={props.testId} data-value={String(props.value)}>
        {props.label} {Number.isFinite(props.value) ? props.value.toFixed(props.digits) : '–'}
      </Badge>
    </Tooltip>
  )
}

function SegmentationLegend({ view }: { view: SegmentationView }) {
  return (
    <Group gap={6} wrap="wrap" mb="xs" data-testid="segmentation-legend">
      <Text size="xs" c="dimmed">
        {view.classes.some((c) => c.originalShare !== null) ? 'share of pixels, original → reconstruction:' : 'share of pixels:'}
      </Text>
      {view.classes.map((c) => (
        <Tooltip
          key={c.index}
          label={`${c.name}: reconstruction ${pct(c.reconstructionShare)}${c.originalShare !== null ? `, original ${pct(c.originalShare)}` : ''} of the pixels${c.iou !== null ? `; IoU ${c.iou.toFixed(2)}` : ''}${isUndrawnClass(c.name) ? ' (not drawn)' : ''}`}
        >
          <Group gap={4} wrap="nowrap" data-testid="legend-class" data-class={c.name}>
            <ColorSwatch size={12} color={isUndrawnClass(c.name) ? 'transparent' : `rgb(${c.colour.join(',')})`} withShadow={false} style={{ border: '1px solid #5c6773' }} />
            <Text size="xs">
              {c.name}{' '}
              <Text span size="xs" c="dimmed">
                {c.originalShare !== null ? `${pct(c.originalShare)} → ` : ''}
                {pct(c.reconstructionShare)}
              </Text>
            </Text>
          </Group>
        </Tooltip>
      ))}
    </Group>
  )
}

function DepthLegend() {
  return (
    <Group gap={6} mb="xs" wrap="nowrap" data-testid="depth-legend">
      <Text size="xs" c="dimmed">
        far
      </Text>
      <div style={{ width: 160, height: 10, borderRadius: 2, background: depthGradientCss() }} />
      <Text size="xs" c="dimmed">
        near
      </Text>
    </Group>
  )
}

export function AnalysisControls(props: {
  kind: AnalysisKind
  setKind: (k: AnalysisKind) => void
  model: SegmentationModelId
  setModel: (m: SegmentationModelId) => void
  opacity: number
  setOpacity: (v: number) => void
  analysis: SceneAnalysis
  /** Analyses need a reconstruction on screen. */
  enabled: boolean
}) {
  const { kind, analysis } = props
  const a = analysis.loaded
  return (
    <>
      <Group gap="md" mb="xs" wrap="wrap" data-testid="analysis-controls">
        <Text size="xs">Analysis overlay</Text>
        <SegmentedControl
          size="xs"
          value={kind}
          onChange={(v) => props.setKind(v as AnalysisKind)}
          disabled={!props.enabled}
          data={[
            { value: 'none', label: 'None' },
            { value: 'segmentation', label: 'Segmentation' },
            { value: 'depth', label: 'Depth' }
          ]}
          aria-label="analysis overlay"
          data-testid="analysis-mode"
        />
        {kind === 'segmentation' && (
          <SegmentedControl
            size="xs"
            value={props.model}
            onChange={(v) => props.setModel(v as SegmentationModelId)}
            data={[
              { value: 'city', label: 'Cityscapes' },
              { value: 'pascal', label: 'PASCAL VOC' }
            ]}
            aria-label="segmentation model"
            data-testid="segmentation-model"
          />
        )}
        {kind !== 'none' && (
          <>
            <Text size="xs">Opacity</Text>
            <Slider w={120} size="sm" min={0} max={100} value={Math.round(props.opacity * 100)} onChange={(v) => props.setOpacity(v / 100)} label={(v) => `${v}%`} data-testid="analysis-opacity" />
          </>
        )}
        {analysis.loading && (
          <Group gap={6} data-testid="analysis-loading">
            <Loader size="xs" />
            <Text size="xs" c="dimmed">
              running {kind}…
            </Text>
          </Group>
        )}
        {a?.view.agreement && (
          <Text size="xs" c="dimmed">
            reconstruction vs original:
          </Text>
        )}
        {a?.kind === 'segmentation' && a.view.agreement && (
          <>
            <Figure label="mIoU" value={a.view.agreement.miou} digits={2} colour={higherColour(a.view.agreement.miou)} testId="segmentation-miou" tip="Mean IoU of the reconstruction's segmentation against the original's, over the classes present on either side" />
            <Figure label="pixels agree" value={a.view.agreement.pixelAccuracy} digits={2} colour={higherColour(a.view.agreement.pixelAccuracy)} testId="segmentation-pixel-agreement" tip="Share of pixels with the same class on both sides" />
          </>
        )}
        {a?.kind === 'depth' && a.view.agreement && (
          <>
            <Figure label="δ1" value={a.view.agreement.delta1} digits={3} colour={higherColour(a.view.agreement.delta1)} testId="depth-delta1" tip="Share of pixels whose median-scaled depth is within ×1.25 of the original's (every pixel of the 320×96 maps)" />
            <Figure label="AbsRel" value={a.view.agreement.absRel} digits={3} colour={absRelColour(a.view.agreement.absRel)} testId="depth-absrel" tip="Mean |d − d_orig| / d_orig after median scaling" />
            <Figure label="RMSE" value={a.view.agreement.rmse} digits={3} colour="gray" testId="depth-rmse" tip="Root mean square error in the original map's relative units (its median depth = 1)" />
          </>
        )}
        {a && (
          <Text size="xs" c="dimmed" title={a.kind === 'segmentation' ? a.view.evaluation : a.view.scaling} data-testid="analysis-info">
            {a.view.modelName} · {a.view.ms} ms{a.view.note ? ` · ${a.view.note}` : ''}
          </Text>
        )}
      </Group>
      {analysis.error && (
        <Alert color="red" variant="light" mb="xs" title={`${kind === 'depth' ? 'Depth' : 'Segmentation'} could not run`} data-testid="analysis-error">
          <Text size="sm">{analysis.error}</Text>
        </Alert>
      )}
      {a?.kind === 'segmentation' && <SegmentationLegend view={a.view} />}
      {a?.kind === 'depth' && <DepthLegend />}
    </>
  )
}
