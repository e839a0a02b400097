// The baseline's panel beside the original: a spinner while it is fitted, its image, or why there is none
// (the codec failed, or its smallest file is larger than the packet).
import { Alert, Loader, Stack, Text } from '@mantine/core'
import type { BaselineCodecId, BaselineFit } from '../../../../shared/api'
import { SyncViewer, type SharedView } from '../../components/SyncViewer'
import { baselineLabel, codecName } from './baselineText'

export function BaselinePane(props: {
  baseline: BaselineFit | null
  fitting: BaselineCodecId | null
  codec: BaselineCodecId
  octets: number | undefined
  width: number
  height: number
  view: SharedView
  setView: (v: SharedView) => void
  filter: string
}) {
  const { baseline, fitting } = props
  if (fitting || !baseline)
    return (
      <Stack align="center" justify="center" gap="xs" style={{ flex: 1 }} data-testid="baseline-fitting">
        <Loader size="sm" />
        <Text size="xs" c="dimmed">
          Fitting {codecName(fitting ?? props.codec)} to {props.octets ?? '?'} octets…
        </Text>
      </Stack>
    )
  if (baseline.image)
    return <SyncViewer label={baselineLabel(baseline)} src={baseline.image} width={props.width} height={props.height} view={props.view} setView={props.setView} filter={props.filter} testId="baseline" />
  return (
    <Alert
      color={baseline.error ? 'red' : 'orange'}
      variant="light"
      style={{ flex: 1, alignSelf: 'flex-start' }}
      title={baseline.error ? `${baseline.name} could not run` : `${baseline.name} cannot fit in ${baseline.targetBytes} octets`}
      data-testid="baseline-unreachable"
    >
      <Text size="sm">
        {baseline.error
          ? baseline.error
          : `Its smallest file of this image is ${baseline.bytes} octets (${(baseline.bytes! / baseline.targetBytes).toFixed(1)}× the packet), at its lowest setting and smallest scale. No ${baseline.name} image is shown rather than a larger file.`}
      </Text>
    </Alert>
  )
}
