// Errors every front door shows the same way: the engine's operator-facing error (GscError) and the one
// mapping of any thrown value to the {message, code} a client, a window or the CLI is given.

/** Marks a GscError across copies of this module (Electron's bundled engine host and the engine it loads
 *  from src/ through tsx each hold one, so `instanceof` alone would miss the other's errors). */
const GSC_ERROR = Symbol.for('gsc.GscError')

/**
 * An error whose message is fit to show an operator as-is (one line, no stack).
 * The engine throws these for bad input; anything else reaching a front door is a bug.
 */
export class GscError extends Error {
  readonly code: string
  readonly [GSC_ERROR] = true

  constructor(message: string, code = 'EINVAL') {
    super(message)
    this.name = 'GscError'
    this.code = code
  }
}

export function isGscError(e: unknown): e is GscError {
  return typeof e === 'object' && e !== null && (e as { [GSC_ERROR]?: unknown })[GSC_ERROR] === true
}

/** One line describing any thrown value, for logs and CLI output. */
export function describeError(e: unknown): string {
  if (e instanceof Error) return e.message.split('\n')[0] || e.name
  return String(e).split('\n')[0]
}

/** An error as it travels to a client. */
export interface WireError {
  message: string
  /** GscError's code (EINVAL, EARGS, ERATE, EUSAGE, ...); EINTERNAL for anything else (a bug). */
  code: string
}

/** The one mapping of a thrown value to what a client sees: a GscError as it is, anything else as an internal error. */
export function toWireError(e: unknown): WireError {
  if (isGscError(e)) return { message: describeError(e), code: e.code }
  return { message: `internal error: ${describeError(e)}`, code: 'EINTERNAL' }
}

/** The client side of toWireError: an Error carrying the code. */
export function fromWireError(w: WireError): Error & { code: string } {
  return Object.assign(new Error(w.message), { code: w.code })
}
