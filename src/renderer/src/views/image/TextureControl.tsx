// Set 30's synthesised texture beside the reconstruction: a marker that the grain is invented (not transmitted) and
// the switch that decodes the packet again with or without it. Shown only for a packet that asks for grain.
import { Badge, Group, Switch, Text, Tooltip } from '@mantine/core'
import type { TextureInfo } from '../../../../shared/api'
import { hasTexture, textureMarker } from './textureText'

export function TextureControl(props: { texture: TextureInfo | undefined; on: boolean; busy: boolean; setOn: (on: boolean) => void }) {
  const { texture } = props
  if (!hasTexture(texture)) return null
  return (
    <Group gap="sm" mb="xs" wrap="nowrap" data-testid="texture-control">
      <Tooltip
        multiline
        w={320}
        label="The packet sends how much fine texture the original had, not the texture itself: the station draws seeded grain of that strength where the decoded picture shows texture. Its pattern is invented; do not read details from it."
      >
        <Badge variant={texture.drawn ? 'filled' : 'outline'} color="grape" style={{ flexShrink: 0 }} data-testid="texture-marker" data-drawn={texture.drawn}>
          {texture.drawn ? 'invented grain' : 'no grain'}
        </Badge>
      </Tooltip>
      <Text size="xs" c="dimmed" data-testid="texture-note">
        {textureMarker(texture)}
      </Text>
      <Switch size="xs" style={{ flexShrink: 0 }} label="Synthesised texture" checked={props.on} disabled={props.busy} onChange={(e) => props.setOn(e.currentTarget.checked)} data-testid="toggle-texture" />
    </Group>
  )
}
