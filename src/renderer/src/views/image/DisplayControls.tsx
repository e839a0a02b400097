// Brightness, contrast and zoom shared by every panel, and the two file actions: attach the original
// (which brings the comparison) and save the reconstruction as shown.
import { Button, FileButton, Group, Slider, Text } from '@mantine/core'

export function DisplayControls(props: {
  brightness: number
  contrast: number
  zoom: number
  setBrightness: (v: number) => void
  setContrast: (v: number) => void
  reset: () => void
  /** Attaching needs a packet that passed its checks; saving needs a reconstruction. */
  canAttach: boolean
  canSave: boolean
  attachOriginal: (file: File) => void
  save: () => void
}) {
  return (
    <Group gap="md" mb="xs" wrap="wrap">
      <Text size="xs">Brightness</Text>
      <Slider w={140} size="sm" min={20} max={250} value={props.brightness} onChange={props.setBrightness} label={(v) => `${v}%`} />
      <Text size="xs">Contrast</Text>
      <Slider w={140} size="sm" min={20} max={250} value={props.contrast} onChange={props.setContrast} label={(v) => `${v}%`} />
      <Button size="xs" variant="default" onClick={props.reset}>
        Reset view
      </Button>
      <Text size="xs" c="dimmed">
        zoom ×{props.zoom.toFixed(1)}
      </Text>
      <FileButton accept="image/png,image/jpeg,image/webp" onChange={(f) => f && props.attachOriginal(f)}>
        {(fileProps) => (
          <Button size="xs" variant="default" {...fileProps} disabled={!props.canAttach} data-testid="attach-original">
            Attach original…
          </Button>
        )}
      </FileButton>
      <Button size="xs" disabled={!props.canSave} onClick={props.save} data-testid="save-png">
        Save PNG
      </Button>
    </Group>
  )
}
