// Replay: bring a capture in by drag-and-drop or file picker (uploaded to the engine), then import it
// at once or replay it at a chosen pace with play/pause/speed; ingest and decode progress.
import { useState } from 'react'
import { Badge, Button, Checkbox, FileButton, Group, Paper, Progress, SegmentedControl, Stack, Text, Title } from '@mantine/core'
import { useEngine } from '../state'
import type { JobInfo } from '../../../shared/api'

const CHUNK = 1 << 20

function toBase64(bytes: Uint8Array): string {
  let s = ''
  for (let i = 0; i < bytes.length; i += 0x8000) s += String.fromCharCode(...bytes.subarray(i, i + 0x8000))
  return btoa(s)
}

export function ReplayView() {
  const { api, guard, jobs } = useEngine()
  const [over, setOver] = useState(false)
  const [file, setFile] = useState<{ ref: string; name: string; octets: number } | null>(null)
  const [upload, setUpload] = useState<number | null>(null)
  const [speed, setSpeed] = useState('4')
  const [decode, setDecode] = useState(false)
  const [replayId, setReplayId] = useState<string | null>(null)

  const take = async (f: File) => {
    setFile(null)
    setUpload(0)
    const ok = await guard(
      'Upload capture',
      (async () => {
        const { uploadId } = await api.uploadBegin({ name: f.name, size: f.size })
        for (let off = 0; off < f.size; off += CHUNK) {
          const bytes = new Uint8Array(await f.slice(off, off + CHUNK).arrayBuffer())
          await api.uploadChunk({ uploadId, offset: off, data: toBase64(bytes) })
          setUpload(Math.min(f.size, off + CHUNK) / Math.max(1, f.size))
        }
        const r = await api.uploadEnd({ uploadId })
        setFile({ ref: r.fileRef, name: f.name, octets: r.octets })
        return true
      })()
    )
    if (!ok) setUpload(null)
  }

  const replay: JobInfo | undefined = jobs.find((j) => j.id === replayId)
  const recent = jobs.filter((j) => j.kind === 'import' || j.kind === 'replay').slice(0, 6)

  return (
    <Stack gap="sm" style={{ flex: 1 }}>
      <Paper withBorder p="md">
        <Title order={5} mb="xs">
          Capture file
        </Title>
        <div
          className={`dropzone${over ? ' over' : ''}`}
          data-testid="dropzone"
          onDragOver={(e) => {
            e.preventDefault()
            setOver(true)
          }}
          onDragLeave={() => setOver(false)}
          onDrop={(e) => {
            e.preventDefault()
            setOver(false)
            const f = e.dataTransfer.files[0]
            if (f) take(f)
          }}
        >
          <Text>Drop a capture file here (concatenated CCSDS Space Packets)</Text>
          <Text size="xs" c="dimmed" mb="sm">
            or
          </Text>
          <FileButton onChange={(f) => f && take(f)}>
            {(p) => (
              <Button variant="light" {...p} data-testid="pick-capture">
                Choose file…
              </Button>
            )}
          </FileButton>
        </div>
        {upload !== null && !file && <Progress value={upload * 100} mt="sm" animated />}
        {file && (
          <Group mt="sm" data-testid="capture-ready">
            <Badge variant="light">{file.name}</Badge>
            <Text size="sm" c="dimmed">
              {file.octets.toLocaleString()} octets uploaded to the engine
            </Text>
          </Group>
        )}
      </Paper>
      <Paper withBorder p="md">
        <Group justify="space-between" align="end">
          <Stack gap={4}>
            <Title order={5}>Ingest</Title>
            <Text size="xs" c="dimmed">
              Import stores every packet at once; replay feeds them at the chosen pace, as a pass would.
            </Text>
          </Stack>
          <Group gap="sm" align="end">
            <Button disabled={!file} onClick={() => file && guard('Import', api.importCapture({ file: file.ref, name: file.name }))} data-testid="import-capture">
              Import all now
            </Button>
            <div>
              <Text size="xs">Replay speed (packets/s)</Text>
              <SegmentedControl
                size="xs"
                value={speed}
                onChange={(v) => {
                  setSpeed(v)
                  if (replay?.state === 'running') guard('Replay speed', api.replayControl({ jobId: replay.id, action: 'speed', speed: Number(v) }))
                }}
                data={['0.5', '1', '2', '4', '10', '50']}
              />
            </div>
            <Checkbox label="decode as packets arrive" checked={decode} onChange={(e) => setDecode(e.currentTarget.checked)} />
            <Button
              color="green"
              disabled={!file || replay?.state === 'running'}
              onClick={async () => {
                if (!file) return
                const r = await guard('Replay', api.replayStart({ file: file.ref, name: file.name, speed: Number(speed), decode }))
                if (r) setReplayId(r.jobId)
              }}
              data-testid="replay-play"
            >
              ▶ Replay
            </Button>
            <Button
              variant="default"
              disabled={replay?.state !== 'running'}
              onClick={() => replay && guard('Replay', api.replayControl({ jobId: replay.id, action: replay.paused ? 'resume' : 'pause' }))}
              data-testid="replay-pause"
            >
              {replay?.paused ? '▶ Resume' : '❚❚ Pause'}
            </Button>
            <Button color="red" variant="light" disabled={replay?.state !== 'running'} onClick={() => replay && guard('Stop', api.cancelJob({ jobId: replay.id }))}>
              ■ Stop
            </Button>
          </Group>
        </Group>
      </Paper>
      <Paper withBorder p="md" style={{ flex: 1 }}>
        <Title order={5} mb="xs">
          Progress
        </Title>
        {recent.length === 0 && (
          <Text size="sm" c="dimmed">
            Nothing imported in this session yet.
          </Text>
        )}
        <Stack gap="sm">
          {recent.map((j) => (
            <div key={j.id} data-testid={`progress-${j.kind}`} data-state={j.state}>
              <Group justify="space-between">
                <Text size="sm" fw={500}>
                  {j.label} {j.paused ? '(paused)' : ''} {j.speed ? `· ${j.speed} packet/s` : ''}
                </Text>
                <Badge color={j.state === 'done' ? 'green' : j.state === 'failed' ? 'red' : j.state === 'cancelled' ? 'gray' : 'cyan'} variant="light">
                  {j.state}
                </Badge>
              </Group>
              <Progress value={j.total ? (100 * j.done) / j.total : 0} color={j.state === 'failed' ? 'red' : 'cyan'} mt={4} />
              <Text size="xs" c="dimmed">
                {j.error ?? j.detail ?? ''} {j.total ? `· ${Math.round((100 * j.done) / j.total)}% of ${j.total.toLocaleString()} octets` : ''}
              </Text>
            </div>
          ))}
        </Stack>
      </Paper>
    </Stack>
  )
}
