// What stands in for the reconstruction while there is none: a packet that failed its checks, a decode in
// progress (cancellable), or the decoder's error.
import { Alert, Button, Loader, Paper, Stack, Text } from '@mantine/core'
import type { PacketDetail } from '../../../../shared/api'
import { useEngine } from '../../state'

export function DecodeStatus(props: { id: number; detail: PacketDetail | null; decoding: boolean; hasReconstruction: boolean; decodeError: string | null; narrow: boolean }) {
  const { api, jobs } = useEngine()
  const { detail } = props
  const decodeJob = jobs.find((j) => j.kind === 'decode' && j.state === 'running' && j.label === `decode packet ${props.id}`)
  return (
    <>
      {detail && detail.status !== 'ok' && (
        <Paper p="xl" style={{ flex: 1 }} bg="dark.8">
          <Text c="red.4" fw={600}>
            No image: this packet failed its checks ({detail.error ?? detail.status}).
          </Text>
          <Text size="sm" c="dimmed">
            The raw bytes are kept as received; the rest of the pass is unaffected.
          </Text>
        </Paper>
      )}
      {props.decoding && !props.hasReconstruction && (
        <Stack align="center" justify="center" style={{ flex: 1 }} data-testid="decoding">
          <Loader />
          <Text size="sm">Regenerating the image… {decodeJob?.detail ?? ''}</Text>
          {decodeJob && (
            <Button size="xs" color="red" variant="light" onClick={() => api.cancelJob({ jobId: decodeJob.id })}>
              Cancel decode
            </Button>
          )}
        </Stack>
      )}
      {props.decodeError && (
        <Alert color="red" title="Decode failed" style={{ flex: 1, maxWidth: props.narrow ? 360 : undefined }} data-testid="decode-error">
          {props.decodeError}
        </Alert>
      )}
    </>
  )
}
