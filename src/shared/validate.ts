// Validates one API call (method name + arguments) against the schemas. The engine service runs every call
// through this once, whichever front door it came from.
import { ARG_SCHEMAS } from './schemas'
import type { ArgsOf, MethodName } from './api'
import { GscError } from './errors'

export class ApiArgumentError extends GscError {
  constructor(message: string) {
    super(message, 'EARGS')
    this.name = 'ApiArgumentError'
  }
}

export function isMethodName(m: unknown): m is MethodName {
  return typeof m === 'string' && Object.prototype.hasOwnProperty.call(ARG_SCHEMAS, m)
}

export interface ValidCall<M extends MethodName = MethodName> {
  method: M
  args: ArgsOf<M>
}

/** Returns the parsed arguments or throws ApiArgumentError with a one-line reason. */
export function validateCall(method: unknown, args: unknown): ValidCall {
  if (!isMethodName(method)) throw new ApiArgumentError(`unknown API method ${JSON.stringify(String(method)).slice(0, 80)}`)
  const parsed = ARG_SCHEMAS[method].safeParse(args === undefined ? {} : args)
  if (!parsed.success) {
    const first = parsed.error.issues[0]
    const where = first?.path?.length ? first.path.join('.') : 'arguments'
    throw new ApiArgumentError(`${method}: invalid ${where}: ${first?.message ?? 'bad arguments'}`)
  }
  return { method, args: parsed.data } as ValidCall
}

export const METHOD_NAMES = Object.keys(ARG_SCHEMAS) as MethodName[]
