// Running and recent long work (imports, replays, decodes) with progress and a cancel button.
import { ActionIcon, Group, Paper, Progress, Stack, Text, Tooltip } from '@mantine/core'
import { useEngine } from '../state'

export function JobsPanel() {
  const { jobs, api, guard } = useEngine()
  const shown = jobs.filter((j) => j.state === 'running').concat(jobs.filter((j) => j.state !== 'running').slice(0, 3)).slice(0, 6)
  if (shown.length === 0) return null
  return (
    <Stack gap={6} mt="sm" data-testid="jobs">
      <Text size="xs" c="dimmed" tt="uppercase" fw={600}>
        Work
      </Text>
      {shown.map((j) => {
        const pct = j.total ? Math.min(100, (100 * j.done) / j.total) : j.state === 'running' ? 100 : 100
        const color = j.state === 'failed' ? 'red' : j.state === 'cancelled' ? 'gray' : j.state === 'done' ? 'green' : 'cyan'
        return (
          <Paper key={j.id} p={6} withBorder data-testid={`job-${j.kind}`} data-state={j.state}>
            <Group justify="space-between" gap={4} wrap="nowrap">
              <Text size="xs" truncate fw={500}>
                {j.label}
              </Text>
              {j.state === 'running' && (
                <Tooltip label="Cancel">
                  <ActionIcon size="xs" variant="subtle" color="red" onClick={() => guard('Cancel', api.cancelJob({ jobId: j.id }))} aria-label={`cancel ${j.label}`}>
                    ✕
                  </ActionIcon>
                </Tooltip>
              )}
            </Group>
            <Progress value={pct} color={color} size="sm" animated={j.state === 'running' && !j.total} mt={4} />
            <Text size="10px" c="dimmed" truncate>
              {j.state === 'running' ? (j.paused ? 'paused · ' : '') + (j.detail ?? 'working') : j.state === 'failed' ? j.error : j.state}
            </Text>
          </Paper>
        )
      })}
    </Stack>
  )
}
