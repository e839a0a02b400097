// Settings: models with hashes and metrics, execution provider, captioner endpoint, database location.
import { useEffect, useState } from 'react'
import { Badge, Button, Code, Group, NumberInput, Paper, ScrollArea, SegmentedControl, Stack, Table, Text, TextInput, Title } from '@mantine/core'
import type { DecodeWorkers, ModelInfo, Settings, SystemInfo } from '../../../shared/api'
import { useEngine } from '../state'

export function SettingsView() {
  const { api, guard } = useEngine()
  const [info, setInfo] = useState<SystemInfo | null>(null)
  const [settings, setSettings] = useState<Settings | null>(null)
  const [models, setModels] = useState<ModelInfo[]>([])
  const [verifying, setVerifying] = useState(false)
  const [workers, setWorkers] = useState<DecodeWorkers | null>(null)

  useEffect(() => {
    guard('System info', api.systemInfo({})).then((i) => i && (setInfo(i), setModels(i.models)))
    guard('Settings', api.getSettings({})).then((s) => s && setSettings(s))
  }, [api, guard])

  // Decode workers come and go: read again every 5 s (their heartbeat interval) while the view is open.
  useEffect(() => {
    let live = true
    const read = () => api.listWorkers({}).then((w) => live && setWorkers(w)).catch(() => {})
    void read()
    const t = setInterval(read, 5000)
    return () => {
      live = false
      clearInterval(t)
    }
  }, [api])

  const save = async (patch: Partial<Settings>) => {
    const s = await guard('Save settings', api.setSettings(patch))
    if (s) setSettings(s)
  }

  return (
    <ScrollArea style={{ flex: 1 }}>
      <Stack gap="sm">
        <Paper withBorder p="md">
          <Group justify="space-between" mb="xs">
            <Title order={5}>Models</Title>
            <Button
              size="xs"
              loading={verifying}
              onClick={async () => {
                setVerifying(true)
                const m = await guard('Verify models', api.verifyModels({}))
                if (m) setModels(m)
                setVerifying(false)
              }}
            >
              Verify hashes
            </Button>
          </Group>
          {info?.modelsError && (
            <Text size="sm" c="orange" mb="xs">
              {info.modelsError}
            </Text>
          )}
          <Table fz="xs" data-testid="models-table">
            <Table.Thead>
              <Table.Tr>
                <Table.Th>id</Table.Th>
                <Table.Th>stage</Table.Th>
                <Table.Th>file</Table.Th>
                <Table.Th>sha256</Table.Th>
                <Table.Th>hash</Table.Th>
                <Table.Th>metrics</Table.Th>
              </Table.Tr>
            </Table.Thead>
            <Table.Tbody>
              {models.map((m) => (
                <Table.Tr key={m.id}>
                  <Table.Td fw={600}>{m.id}</Table.Td>
                  <Table.Td>{m.stage}</Table.Td>
                  <Table.Td className="mono">{m.file}</Table.Td>
                  <Table.Td className="mono" title={m.sha256}>
                    {m.sha256.slice(0, 16)}…
                  </Table.Td>
                  <Table.Td>
                    {m.verified === null ? <Badge variant="outline" color="gray" size="xs">not checked</Badge> : m.verified ? <Badge color="green" size="xs">verified</Badge> : <Badge color="red" size="xs">MISMATCH</Badge>}
                  </Table.Td>
                  <Table.Td className="mono" maw={420}>
                    <Text size="xs" lineClamp={2}>
                      {Object.entries(m.metrics)
                        .map(([k, v]) => `${k}=${typeof v === 'number' ? Number(v.toPrecision(4)) : JSON.stringify(v)}`)
                        .join('  ')}
                    </Text>
                  </Table.Td>
                </Table.Tr>
              ))}
            </Table.Tbody>
          </Table>
          <Text size="xs" c="dimmed" mt={4}>
            Models directory: <Code>{info?.modelsDir ?? '—'}</Code>. The engine refuses a model whose hash differs from the manifest.
          </Text>
        </Paper>
        {settings && (
          <Paper withBorder p="md">
            <Title order={5} mb="xs">
              Engine
            </Title>
            <Stack gap="sm" maw={560}>
              <div>
                <Text size="sm">Execution provider</Text>
                <SegmentedControl
                  value={settings.executionProvider}
                  onChange={(v) => save({ executionProvider: v as Settings['executionProvider'] })}
                  data={[
                    { value: 'cpu', label: 'CPU' },
                    { value: 'cuda', label: 'CUDA (where onnxruntime-node has it)' }
                  ]}
                />
              </div>
              <NumberInput
                label="Decode steps (rectified-flow Euler steps)"
                description="Empty: the model's recommendation. 0: the prior's estimate only, no flow."
                placeholder="model default"
                min={0}
                max={64}
                value={settings.decodeSteps ?? ''}
                onChange={(v) => save({ decodeSteps: typeof v === 'number' ? v : null })}
                w={320}
              />
              <NumberInput
                label="Largest image decoded (pixels)"
                description={`Packets announcing more (width x height) are kept but refused by the decoder. Empty: the engine's limit, ${settings.decodeLimits.maxPixels.toLocaleString('en-US')} now; this can only lower the limit gsc serve --max-pixels set.`}
                placeholder={settings.decodeLimits.maxPixels.toLocaleString('en-US')}
                min={1}
                value={settings.maxPixels ?? ''}
                onChange={(v) => save({ maxPixels: typeof v === 'number' ? v : null })}
                w={320}
                data-testid="setting-max-pixels"
              />
              <NumberInput
                label="Most flow steps per decode"
                description={`A packet or request for more is refused. Empty: the engine's limit, ${settings.decodeLimits.maxFlowSteps} now.`}
                placeholder={String(settings.decodeLimits.maxFlowSteps)}
                min={0}
                value={settings.maxFlowSteps ?? ''}
                onChange={(v) => save({ maxFlowSteps: typeof v === 'number' ? v : null })}
                w={320}
              />
              <TextInput
                label="Captioner endpoint (OpenAI-compatible, optional)"
                description="Kept for the sender side: the station decodes captions from packets and captions nothing itself. Encode with gsc encode --captioner <url> --model <name>."
                placeholder="http://127.0.0.1:8080/v1"
                defaultValue={settings.captionerUrl}
                onBlur={(e) => e.currentTarget.value !== settings.captionerUrl && save({ captionerUrl: e.currentTarget.value })}
              />
              <TextInput label="Captioner model" defaultValue={settings.captionerModel} onBlur={(e) => e.currentTarget.value !== settings.captionerModel && save({ captionerModel: e.currentTarget.value })} />
              <TextInput
                label="GSC image APIDs"
                description="auto: every APID whose packets pass the GSC CRC. Or a list (e.g. 100, 101): packets of other APIDs are kept as foreign traffic, never decoded. A change re-classifies the whole log."
                placeholder="auto"
                key={JSON.stringify(settings.imageApids)}
                defaultValue={settings.imageApids === 'auto' ? 'auto' : settings.imageApids.join(', ')}
                data-testid="setting-image-apids"
                onBlur={(e) => {
                  const text = e.currentTarget.value.trim()
                  const v: Settings['imageApids'] = text === '' || text === 'auto' ? 'auto' : text.split(/[\s,]+/).filter(Boolean).map(Number)
                  if (JSON.stringify(v) !== JSON.stringify(settings.imageApids)) save({ imageApids: v })
                }}
              />
            </Stack>
          </Paper>
        )}
        <Paper withBorder p="md">
          <Title order={5} mb="xs">
            Storage
          </Title>
          <Table fz="xs" withRowBorders={false}>
            <Table.Tbody>
              <Table.Tr>
                <Table.Td c="dimmed" w={200}>
                  {/^postgres(ql)?:\/\//i.test(info?.dbFile ?? '') ? 'Packet archive (PostgreSQL, shared)' : 'Packet log (SQLite)'}
                </Table.Td>
                <Table.Td className="mono" data-testid="db-location">{info?.dbFile}</Table.Td>
              </Table.Tr>
              <Table.Tr>
                <Table.Td c="dimmed">Event log and interface state</Table.Td>
                <Table.Td className="mono">{info?.eventsFile}</Table.Td>
              </Table.Tr>
              <Table.Tr>
                <Table.Td c="dimmed">Front door</Table.Td>
                <Table.Td>{info?.frontDoor === 'serve' ? 'gsc serve (browser)' : 'Electron'} · version {info?.version}</Table.Td>
              </Table.Tr>
              <Table.Tr>
                <Table.Td c="dimmed">Engine parts</Table.Td>
                <Table.Td>
                  {Object.entries(info?.engine ?? {}).map(([k, v]) => (
                    <Badge key={k} size="xs" mr={4} color={v ? 'green' : 'red'} variant="light">
                      {k}
                    </Badge>
                  ))}
                </Table.Td>
              </Table.Tr>
            </Table.Tbody>
          </Table>
        </Paper>
        {workers?.archive === 'postgres' && (
          <Paper withBorder p="md">
            <Title order={5} mb="xs">
              Decode workers
            </Title>
            <Table fz="xs" data-testid="workers-table">
              <Table.Thead>
                <Table.Tr>
                  <Table.Th>worker</Table.Th>
                  <Table.Th>host</Table.Th>
                  <Table.Th>provider</Table.Th>
                  <Table.Th>at a time</Table.Th>
                  <Table.Th>last seen</Table.Th>
                  <Table.Th>state</Table.Th>
                </Table.Tr>
              </Table.Thead>
              <Table.Tbody>
                {workers.workers.map((w) => (
                  <Table.Tr key={`${w.name}-${w.startedAt}`}>
                    <Table.Td className="mono">{w.name}</Table.Td>
                    <Table.Td>{w.host}</Table.Td>
                    <Table.Td>{w.executionProvider.toUpperCase()}</Table.Td>
                    <Table.Td>{w.concurrency}</Table.Td>
                    <Table.Td title={w.lastSeen}>{w.ageSeconds < 90 ? `${Math.round(w.ageSeconds)} s ago` : new Date(w.lastSeen).toLocaleString()}</Table.Td>
                    <Table.Td>{w.live ? <Badge color="green" size="xs">live</Badge> : <Badge color="gray" variant="outline" size="xs">gone</Badge>}</Table.Td>
                  </Table.Tr>
                ))}
              </Table.Tbody>
            </Table>
            <Text size="xs" c="dimmed" mt={4}>
              {workers.workers.some((w) => w.live)
                ? `Plain reconstructions go to the workers' queue; one not answered within ${workers.waitSeconds} s is decoded here.`
                : 'No live worker: decodes run in this engine.'}{' '}
              A worker is gone when its heartbeat is over {workers.staleAfterSeconds} s old. Start one with <Code>gsc worker --db &lt;archive URL&gt;</Code>.
            </Text>
          </Paper>
        )}
      </Stack>
    </ScrollArea>
  )
}
