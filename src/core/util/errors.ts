/**
 * An error whose message is fit to show an operator as-is (one line, no stack).
 * The engine throws these for bad input; anything else reaching a front door is a bug.
 */
export class GscError extends Error {
  readonly code: string

  constructor(message: string, code = 'EINVAL') {
    super(message)
    this.name = 'GscError'
    this.code = code
  }
}

export function isGscError(e: unknown): e is GscError {
  return e instanceof GscError
}

/** One line describing any thrown value, for logs and CLI output. */
export function describeError(e: unknown): string {
  if (e instanceof Error) return e.message.split('\n')[0] || e.name
  return String(e).split('\n')[0]
}
