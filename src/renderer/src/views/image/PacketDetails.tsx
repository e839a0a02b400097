// What the packet says about itself: its checks, decoded caption, primary and GSC headers (with set 30's texture grain,
// known once the packet is decoded), bit counts and first octets.
import { Alert, Badge, Group, Paper, Stack, Text, Title } from '@mantine/core'
import type { PacketDetail, TextureInfo } from '../../../../shared/api'
import { colourPlanesText } from '../../../../shared/colourPlanes'
import { STATUS_COLOR, STATUS_LABEL, fmtBits, fmtTime } from '../../theme'
import { KeyValueTable } from './KeyValueTable'
import { textureRow } from './textureText'

function SectionTitle({ children }: { children: string }) {
  return (
    <Text size="xs" fw={600} tt="uppercase" c="dimmed">
      {children}
    </Text>
  )
}

/** `caption`: the reconstruction's caption where it has one, else the packet's; `texture`: its reconstruction's (set 30). */
export function PacketDetails({ detail, caption, texture }: { detail: PacketDetail; caption: string | null | undefined; texture?: TextureInfo }) {
  const h = detail.header as Record<string, unknown> | null | undefined
  const bits = detail.bitsBreakdown
  return (
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
      {caption && (
        <Paper p="xs" bg="dark.7">
          <Text size="xs" c="dimmed">
            Decoded caption
          </Text>
          <Text size="sm" data-testid="caption">
            {caption}
          </Text>
        </Paper>
      )}
      <SectionTitle>Primary header</SectionTitle>
      <KeyValueTable
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
          <SectionTitle>GSC header</SectionTitle>
          <KeyValueTable
            rows={[
              ['format', String(h.formatVersion ?? '—')],
              ['size', `${h.width}×${h.height}`],
              ['model', String(h.modelId ?? '—')],
              ['channels (C)', Array.isArray(h.channelIndices) ? `${h.channelIndices.length}: ${(h.channelIndices as number[]).join(', ')}` : String(detail.c ?? '—')],
              ['quant step', String(h.quantStep ?? '—')],
              ['steps / seed', `${h.steps ?? '—'} / ${h.seed ?? '—'}`],
              ['caption mode', String(h.captionMode ?? '—')],
              ...(detail.colour ? [['colour thumbnail', colourPlanesText(detail.colour)] as [string, string]] : []),
              ...(texture ? [['texture grain', textureRow(texture)] as [string, string]] : [])
            ]}
          />
        </>
      )}
      {bits && (
        <>
          <SectionTitle>Bits</SectionTitle>
          <KeyValueTable rows={Object.entries(bits).map(([k, v]) => [k, `${v} bit`])} />
          {detail.width && detail.height && (
            <Text size="xs" c="dimmed">
              {(detail.bits / (detail.width * detail.height)).toFixed(4)} bits per pixel
            </Text>
          )}
        </>
      )}
      <SectionTitle>Raw (first 48 octets)</SectionTitle>
      <Text size="10px" className="mono" c="dimmed" style={{ wordBreak: 'break-all' }}>
        {detail.hexPreview}
      </Text>
    </Stack>
  )
}
