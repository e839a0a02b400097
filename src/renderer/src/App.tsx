import { AppShell, Badge, Group, NavLink, Stack, Text, Title, Tooltip } from '@mantine/core'
import { useEngine, type ViewName } from './state'
import type { ConnectionState } from './api/wsClient'
import { JobsPanel } from './components/JobsPanel'
import { SeverityBadge } from './components/SeverityBadge'
import { TimelineView } from './views/TimelineView'
import { PacketTableView } from './views/PacketTableView'
import { ImageView } from './views/ImageView'
import { PlannerView } from './views/PlannerView'
import { ReplayView } from './views/ReplayView'
import { SettingsView } from './views/SettingsView'
import { EventLogView } from './views/EventLogView'
import { STATUS_COLOR, GAP_COLOR } from './theme'

const VIEWS: { id: ViewName; label: string; hint: string }[] = [
  { id: 'timeline', label: 'Mission timeline', hint: 'packets over time, gaps, bits, chosen C' },
  { id: 'packets', label: 'Packet table', hint: 'sort, filter, export CSV' },
  { id: 'image', label: 'Image view', hint: 'reconstruction, overlays, comparison' },
  { id: 'planner', label: 'Planner', hint: 'bit budget per image' },
  { id: 'replay', label: 'Replay', hint: 'import or replay a capture' },
  { id: 'settings', label: 'Settings', hint: 'models, provider, captioner' },
  { id: 'events', label: 'Event log', hint: 'persistent operator log' }
]

export function App({ connection }: { connection: ConnectionState }) {
  const { view, setView, packets, gaps, events } = useEngine()
  const failed = packets.filter((p) => p.status !== 'ok').length
  const missing = gaps.reduce((s, g) => s + g.missing, 0)
  const last = events[0]
  return (
    <AppShell header={{ height: 48 }} navbar={{ width: 220, breakpoint: 0 }} footer={{ height: 30 }} padding="sm">
      <AppShell.Header>
        <Group h="100%" px="md" justify="space-between">
          <Group gap="sm">
            <Title order={4} c="cyan.4" style={{ letterSpacing: 0.5 }}>
              GSC Mission Control
            </Title>
            <Text size="xs" c="dimmed">
              generative semantic coding · ground segment
            </Text>
          </Group>
          <Group gap="xs">
            <Badge variant="light" color="gray" data-testid="stat-packets">
              {packets.length} packets
            </Badge>
            <Badge variant="light" style={{ color: STATUS_COLOR.crc_failed }} data-testid="stat-failed">
              {failed} failed
            </Badge>
            <Badge variant="light" style={{ color: GAP_COLOR }} data-testid="stat-gaps">
              {gaps.length} gaps · {missing} missing
            </Badge>
            <Tooltip label={connection === 'open' ? 'engine connected' : 'reconnecting to the engine'}>
              <Badge color={connection === 'open' ? 'green' : connection === 'connecting' ? 'yellow' : 'red'} variant="dot" data-testid="connection">
                {connection === 'open' ? 'engine online' : connection}
              </Badge>
            </Tooltip>
          </Group>
        </Group>
      </AppShell.Header>
      <AppShell.Navbar p="xs">
        <Stack gap={2} style={{ flex: 1 }}>
          {VIEWS.map((v) => (
            <NavLink key={v.id} active={view === v.id} label={v.label} description={v.hint} onClick={() => setView(v.id)} data-testid={`nav-${v.id}`} />
          ))}
        </Stack>
        <JobsPanel />
      </AppShell.Navbar>
      <AppShell.Main style={{ height: '100vh', display: 'flex', flexDirection: 'column' }}>
        {view === 'timeline' && <TimelineView />}
        {view === 'packets' && <PacketTableView />}
        {view === 'image' && <ImageView />}
        {view === 'planner' && <PlannerView />}
        {view === 'replay' && <ReplayView />}
        {view === 'settings' && <SettingsView />}
        {view === 'events' && <EventLogView />}
      </AppShell.Main>
      <AppShell.Footer px="md">
        <Group h="100%" gap="xs" wrap="nowrap" style={{ overflow: 'hidden' }} onClick={() => setView('events')} className="clickable">
          {last ? (
            <>
              <SeverityBadge severity={last.severity} />
              <Text size="xs" c="dimmed" className="mono">
                {last.at.slice(11, 19)}Z
              </Text>
              <Text size="xs" truncate>
                [{last.source}] {last.message}
              </Text>
            </>
          ) : (
            <Text size="xs" c="dimmed">
              no events
            </Text>
          )}
        </Group>
      </AppShell.Footer>
    </AppShell>
  )
}
