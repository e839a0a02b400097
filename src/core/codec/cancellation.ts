// Cancellation of codec work: an aborted AbortSignal becomes a CancelledError (code ECANCELLED), checked between steps.
import { GscError } from '../util/errors'

export class CancelledError extends GscError {
  constructor(what = 'decode') {
    super(`${what} cancelled`, 'ECANCELLED')
  }
}

export function throwIfAborted(signal: AbortSignal | undefined, what = 'decode'): void {
  if (signal?.aborted) throw new CancelledError(what)
}
