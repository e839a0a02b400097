// A compact two-column table of named values (the packet's headers and bit counts).
import type { ReactNode } from 'react'
import { Table } from '@mantine/core'

export function KeyValueTable({ rows }: { rows: [string, ReactNode][] }) {
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
