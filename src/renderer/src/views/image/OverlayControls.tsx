// Which overlays the reconstruction shows (transmitted boxes, boxes detected on the reconstruction, the
// uncertainty map) and how well the two sets of boxes agree.
import { Badge, Checkbox, Group, Tooltip } from '@mantine/core'
import type { Reconstruction } from '../../../../shared/api'
import { DETECTED_COLOR, TRANSMITTED_COLOR } from '../../theme'

export interface OverlayChoice {
  transmitted: boolean
  detected: boolean
  uncertainty: boolean
}

export function OverlayControls(props: {
  rec: Reconstruction | null
  transmittedCount: number
  shown: OverlayChoice
  setTransmitted: (on: boolean) => void
  setDetected: (on: boolean) => void
  setUncertainty: (on: boolean) => void
}) {
  const { rec, shown } = props
  return (
    <Group gap="md" mb="xs" wrap="wrap">
      <Checkbox label={<span style={{ color: TRANSMITTED_COLOR }}>Transmitted detections ({props.transmittedCount})</span>} checked={shown.transmitted} onChange={(e) => props.setTransmitted(e.currentTarget.checked)} data-testid="toggle-transmitted" />
      <Checkbox label={<span style={{ color: DETECTED_COLOR }}>Detections on reconstruction ({rec?.detected.length ?? 0})</span>} checked={shown.detected} onChange={(e) => props.setDetected(e.currentTarget.checked)} data-testid="toggle-detected" />
      <Checkbox label="Uncertainty map" checked={shown.uncertainty} onChange={(e) => props.setUncertainty(e.currentTarget.checked)} data-testid="toggle-uncertainty" />
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
  )
}
