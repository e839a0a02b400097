// Packet table: sortable, filterable, pause/resume while live, CSV export of all or marked rows.
import { useCallback, useEffect, useState } from 'react'
import { Badge, Button, Checkbox, Group, NumberInput, Paper, ScrollArea, Select, Table, Text, TextInput, UnstyledButton } from '@mantine/core'
import type { PacketStatus, PacketSummary } from '../../../shared/api'
import { useEngine } from '../state'
import { STATUS_COLOR, STATUS_LABEL, fmtTime } from '../theme'

type SortKey = 'id' | 'receivedAt' | 'apid' | 'sequenceCount' | 'bits' | 'c' | 'status'

const COLUMNS: { key: SortKey | null; label: string }[] = [
  { key: 'id', label: '#' },
  { key: 'receivedAt', label: 'Received (UTC)' },
  { key: 'apid', label: 'APID' },
  { key: 'sequenceCount', label: 'Seq' },
  { key: 'status', label: 'Status' },
  { key: 'bits', label: 'Bits' },
  { key: 'c', label: 'C' },
  { key: null, label: 'Size' },
  { key: null, label: 'Caption' }
]

export function toCsv(rows: PacketSummary[]): string {
  const esc = (v: unknown) => {
    const s = v === null || v === undefined ? '' : String(v)
    return /[",\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s
  }
  const head = ['id', 'receivedAt', 'apid', 'sequenceCount', 'status', 'octets', 'bits', 'c', 'width', 'height', 'caption', 'error']
  return [head.join(','), ...rows.map((r) => head.map((k) => esc(r[k as keyof PacketSummary])).join(','))].join('\n') + '\n'
}

function download(name: string, text: string, type = 'text/csv') {
  const url = URL.createObjectURL(new Blob([text], { type }))
  const a = document.createElement('a')
  a.href = url
  a.download = name
  a.click()
  setTimeout(() => URL.revokeObjectURL(url), 1000)
}

export function PacketTableView() {
  const { api, guard, openPacket, packets: livePackets } = useEngine()
  const [rows, setRows] = useState<PacketSummary[]>([])
  const [total, setTotal] = useState(0)
  const [atLeast, setAtLeast] = useState(false)
  const [sort, setSort] = useState<SortKey>('id')
  const [order, setOrder] = useState<'asc' | 'desc'>('desc')
  const [apid, setApid] = useState<number | string>('')
  const [status, setStatus] = useState<string | null>(null)
  const [c, setC] = useState<string | null>(null)
  const [text, setText] = useState('')
  const [from, setFrom] = useState('')
  const [to, setTo] = useState('')
  const [paused, setPaused] = useState(false)
  const [marked, setMarked] = useState<Set<number>>(new Set())

  const query = useCallback(
    () => ({
      apid: typeof apid === 'number' ? apid : undefined,
      status: (status ?? undefined) as PacketStatus | undefined,
      c: c ? Number(c) : undefined,
      text: text || undefined,
      from: from && !Number.isNaN(Date.parse(from)) ? from : undefined,
      to: to && !Number.isNaN(Date.parse(to)) ? to : undefined,
      sort,
      order
    }),
    [apid, status, c, text, from, to, sort, order]
  )

  const load = useCallback(async () => {
    const page = await guard('Loading packets', api.listPackets({ ...query(), limit: 500 }))
    if (page) {
      setRows(page.packets)
      setTotal(page.total)
      setAtLeast(page.totalAtLeast === true)
    }
  }, [api, guard, query])

  // Live: reload when packets arrive unless the operator paused the table.
  useEffect(() => {
    if (!paused) load()
  }, [load, paused, livePackets.length])

  const clickSort = (k: SortKey) => {
    if (k === sort) setOrder(order === 'asc' ? 'desc' : 'asc')
    else (setSort(k), setOrder('asc'))
  }

  const exportCsv = async (onlyMarked: boolean) => {
    if (onlyMarked) {
      download('packets-marked.csv', toCsv(rows.filter((r) => marked.has(r.id))))
      return
    }
    const all: PacketSummary[] = []
    for (let offset = 0; ; offset += 5000) {
      const page = await guard('Exporting packets', api.listPackets({ ...query(), limit: 5000, offset }))
      if (!page) return
      all.push(...page.packets)
      if (page.packets.length < 5000) break
    }
    download('packets.csv', toCsv(all))
  }

  return (
    <Paper p="sm" withBorder style={{ flex: 1, display: 'flex', flexDirection: 'column', minHeight: 0 }}>
      <Group gap="xs" align="end" mb="xs" wrap="wrap">
        <NumberInput label="APID" size="xs" w={90} min={0} max={2047} value={apid} onChange={setApid} data-testid="filter-apid" />
        <Select
          label="Status"
          size="xs"
          w={130}
          clearable
          value={status}
          onChange={setStatus}
          data={[
            { value: 'ok', label: 'received' },
            { value: 'crc_failed', label: 'CRC failed' },
            { value: 'malformed', label: 'malformed' },
            { value: 'foreign', label: 'foreign APID' },
            { value: 'idle', label: 'idle (APID 2047)' }
          ]}
          data-testid="filter-status"
        />
        <Select label="C" size="xs" w={80} clearable value={c} onChange={setC} data={['1', '2', '4', '8', '16']} />
        <TextInput label="Caption words" placeholder="words, the last may be cut short" size="xs" w={200} value={text} onChange={(e) => setText(e.currentTarget.value)} />
        <TextInput label="From (ISO UTC)" size="xs" w={190} placeholder="2026-01-01T00:00:00Z" value={from} onChange={(e) => setFrom(e.currentTarget.value)} />
        <TextInput label="To (ISO UTC)" size="xs" w={190} value={to} onChange={(e) => setTo(e.currentTarget.value)} />
        <Button size="xs" variant={paused ? 'filled' : 'light'} color={paused ? 'yellow' : 'green'} onClick={() => setPaused(!paused)} data-testid="pause-live">
          {paused ? 'Resume live' : 'Pause live'}
        </Button>
        <Button size="xs" variant="default" onClick={() => exportCsv(false)} data-testid="export-all">
          Export CSV (all {total}{atLeast ? '+' : ''})
        </Button>
        <Button size="xs" variant="default" disabled={marked.size === 0} onClick={() => exportCsv(true)} data-testid="export-marked">
          Export marked ({marked.size})
        </Button>
      </Group>
      <Text size="xs" c="dimmed" mb={4}>
        {atLeast ? 'at least ' : ''}
        {total} packet(s) match{paused ? ' · table paused: new packets are not shown until resumed' : ' · live'}
        {rows.length < total ? ` · showing first ${rows.length}` : ''}
      </Text>
      <ScrollArea style={{ flex: 1 }}>
        <Table striped highlightOnHover stickyHeader verticalSpacing={4} fz="xs" data-testid="packet-table">
          <Table.Thead>
            <Table.Tr>
              <Table.Th w={30}>
                <Checkbox
                  size="xs"
                  aria-label="mark all"
                  checked={rows.length > 0 && rows.every((r) => marked.has(r.id))}
                  onChange={(e) => setMarked(e.currentTarget.checked ? new Set(rows.map((r) => r.id)) : new Set())}
                />
              </Table.Th>
              {COLUMNS.map((col) => (
                <Table.Th key={col.label}>
                  {col.key ? (
                    <UnstyledButton onClick={() => clickSort(col.key!)} fz="xs" fw={600}>
                      {col.label} {sort === col.key ? (order === 'asc' ? '▲' : '▼') : ''}
                    </UnstyledButton>
                  ) : (
                    col.label
                  )}
                </Table.Th>
              ))}
            </Table.Tr>
          </Table.Thead>
          <Table.Tbody>
            {rows.map((r) => (
              <Table.Tr key={r.id} data-status={r.status} data-row={r.id} data-apid={r.apid ?? ''}>
                <Table.Td>
                  <Checkbox
                    size="xs"
                    aria-label={`mark packet ${r.id}`}
                    checked={marked.has(r.id)}
                    onChange={(e) => {
                      const next = new Set(marked)
                      if (e.currentTarget.checked) next.add(r.id)
                      else next.delete(r.id)
                      setMarked(next)
                    }}
                  />
                </Table.Td>
                <Table.Td>
                  <UnstyledButton fz="xs" c="cyan.4" onClick={() => openPacket(r.id)}>
                    #{r.id}
                  </UnstyledButton>
                </Table.Td>
                <Table.Td className="mono">{fmtTime(r.receivedAt, true)}</Table.Td>
                <Table.Td>{r.apid ?? '—'}</Table.Td>
                <Table.Td>{r.sequenceCount ?? '—'}</Table.Td>
                <Table.Td>
                  <Badge size="xs" variant="light" style={{ color: STATUS_COLOR[r.status] }} title={r.error ?? undefined}>
                    {STATUS_LABEL[r.status]}
                  </Badge>
                </Table.Td>
                <Table.Td>{r.bits}</Table.Td>
                <Table.Td>{r.c ?? '—'}</Table.Td>
                <Table.Td>{r.width && r.height ? `${r.width}×${r.height}` : '—'}</Table.Td>
                <Table.Td maw={420}>
                  <Text size="xs" truncate c={r.status === 'foreign' || r.status === 'idle' ? 'dimmed' : undefined}>
                    {r.status === 'foreign'
                      ? `packet of APID ${r.apid} (not a GSC image APID), ${r.octets} octets kept as received`
                      : r.status === 'idle'
                        ? `idle packet, ${r.octets} octets`
                        : (r.caption ?? r.error ?? '')}
                  </Text>
                </Table.Td>
              </Table.Tr>
            ))}
          </Table.Tbody>
        </Table>
      </ScrollArea>
    </Paper>
  )
}
