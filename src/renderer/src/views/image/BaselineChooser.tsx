// The baseline codec to compare against at the packet's size, and a one-line summary of its fit.
import { Group, SegmentedControl, Text } from '@mantine/core'
import type { BaselineCodecId, BaselineFit } from '../../../../shared/api'
import { BASELINE_CODECS } from '../../../../shared/schemas'

export function BaselineChooser(props: { octets: number | undefined; codec: BaselineCodecId; chooseCodec: (c: BaselineCodecId) => void; baseline: BaselineFit | null | undefined; fitting: boolean }) {
  const { baseline } = props
  return (
    <Group gap="sm" mb="xs" wrap="nowrap" data-testid="baseline-panel">
      <Text size="xs" style={{ whiteSpace: 'nowrap' }}>
        Baseline at the packet's {props.octets ?? '?'} octets
      </Text>
      <SegmentedControl
        size="xs"
        style={{ flexShrink: 0 }}
        value={props.codec}
        onChange={(v) => props.chooseCodec(v as BaselineCodecId)}
        data={BASELINE_CODECS.map((c) => ({ value: c.id, label: c.name }))}
        aria-label="baseline codec"
        data-testid="baseline-codec"
      />
      {baseline && !props.fitting && (
        <Text
          size="xs"
          c={baseline.reached ? 'dimmed' : 'orange.4'}
          lineClamp={2}
          style={{ flex: 1, minWidth: 0 }}
          title={`${baseline.summary}\n${baseline.label}`}
          data-testid="baseline-fit"
          data-codec={baseline.codec}
          data-reached={String(baseline.reached)}
        >
          {baseline.summary}
        </Text>
      )}
    </Group>
  )
}
