// Previous / next packet and a packet id to jump to.
import { Button, Group, NumberInput } from '@mantine/core'
import { useEngine } from '../../state'

export function PacketStepper({ id }: { id: number }) {
  const { selectPacket, packets } = useEngine()
  const idx = packets.findIndex((p) => p.id === id)
  return (
    <Group justify="space-between" mb="xs">
      <Button size="xs" variant="default" disabled={idx <= 0} onClick={() => selectPacket(packets[idx - 1].id)}>
        ◀ Prev
      </Button>
      <NumberInput size="xs" w={100} value={id} min={1} onChange={(v) => typeof v === 'number' && selectPacket(v)} aria-label="packet id" />
      <Button size="xs" variant="default" disabled={idx < 0 || idx >= packets.length - 1} onClick={() => selectPacket(packets[idx + 1].id)}>
        Next ▶
      </Button>
    </Group>
  )
}
