// Validates one API call (method name + arguments) against the schemas; used by every dispatcher.
import { ARG_SCHEMAS } from './schemas'
import type { MethodName } from './api'

export class ApiArgumentError extends Error {
  readonly code = 'EARGS'
  constructor(message: string) {
    super(message)
    this.name = 'ApiArgumentError'
  }
}

export function isMethodName(m: unknown): m is MethodName {
  return typeof m === 'string' && Object.prototype.hasOwnProperty.call(ARG_SCHEMAS, m)
}

/** Returns the parsed arguments or throws ApiArgumentError with a one-line reason. */
export function validateCall(method: unknown, args: unknown): { method: MethodName; args: unknown } {
  if (!isMethodName(method)) throw new ApiArgumentError(`unknown API method ${JSON.stringify(String(method)).slice(0, 80)}`)
  const parsed = ARG_SCHEMAS[method].safeParse(args === undefined ? {} : args)
  if (!parsed.success) {
    const first = parsed.error.issues[0]
    const where = first?.path?.length ? first.path.join('.') : 'arguments'
    throw new ApiArgumentError(`${method}: invalid ${where}: ${first?.message ?? 'bad arguments'}`)
  }
  return { method, args: parsed.data }
}

export const METHOD_NAMES = Object.keys(ARG_SCHEMAS) as MethodName[]
