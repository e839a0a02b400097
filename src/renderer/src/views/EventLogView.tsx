// The persistent operator event log (stored by the engine), newest first, filterable by severity.
import { useState } from 'react'
import { Group, Paper, ScrollArea, SegmentedControl, Table, Text } from '@mantine/core'
import type { Severity } from '../../../shared/api'
import { useEngine } from '../state'
import { SeverityBadge } from '../components/SeverityBadge'

const ORDER: Severity[] = ['debug', 'info', 'watch', 'warning', 'distress', 'critical']

export function EventLogView() {
  const { events } = useEngine()
  const [min, setMin] = useState<Severity>('info')
  const shown = events.filter((e) => ORDER.indexOf(e.severity) >= ORDER.indexOf(min))
  return (
    <Paper withBorder p="sm" style={{ flex: 1, display: 'flex', flexDirection: 'column', minHeight: 0 }}>
      <Group justify="space-between" mb="xs">
        <Text fw={600}>Event log</Text>
        <Group gap="xs">
          <Text size="xs" c="dimmed">
            at least
          </Text>
          <SegmentedControl size="xs" value={min} onChange={(v) => setMin(v as Severity)} data={ORDER} />
        </Group>
      </Group>
      <ScrollArea style={{ flex: 1 }}>
        <Table fz="xs" striped stickyHeader verticalSpacing={3} data-testid="event-log">
          <Table.Thead>
            <Table.Tr>
              <Table.Th w={230}>Time (UTC)</Table.Th>
              <Table.Th w={90}>Severity</Table.Th>
              <Table.Th w={110}>Source</Table.Th>
              <Table.Th>Message</Table.Th>
            </Table.Tr>
          </Table.Thead>
          <Table.Tbody>
            {shown.map((e) => (
              <Table.Tr key={e.id}>
                <Table.Td className="mono">{e.at.replace('T', ' ').slice(0, 23)}Z</Table.Td>
                <Table.Td>
                  <SeverityBadge severity={e.severity} />
                </Table.Td>
                <Table.Td>{e.source}</Table.Td>
                <Table.Td>{e.message}</Table.Td>
              </Table.Tr>
            ))}
          </Table.Tbody>
        </Table>
      </ScrollArea>
    </Paper>
  )
}
