// `--channels 1,4,16`: the comma list of C values that bench and sheet take, checked once.
import { UsageError } from '../framework'

export function channelList(spec: string): number[] {
  const parts = spec.split(',').map((s) => s.trim())
  const cs = parts.map(Number)
  const bad = parts.find((s, i) => s === '' || !Number.isInteger(cs[i]) || cs[i] < 1 || cs[i] > 64)
  if (bad !== undefined) throw new UsageError(`--channels: each C must be an integer 1..64, got '${bad}' in '${spec}'`)
  return [...new Set(cs)].sort((a, b) => a - b)
}
