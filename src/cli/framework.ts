// CLI plumbing shared by every `gsc` command: argument parsing, --json output, one-line errors, progress.
import { parseArgs, type ParseArgsConfig } from 'node:util'
import { GscError, describeError, toWireError } from '../shared/errors'

export type OptionSpec = NonNullable<ParseArgsConfig['options']>

export interface ParsedArgs {
  values: Record<string, string | boolean | string[] | boolean[] | undefined>
  positionals: string[]
}

export interface CommandContext {
  json: boolean
  /** Human-oriented status lines (stderr, so stdout stays one JSON document). */
  info(line: string): void
  progress(label: string, total?: number): Progress
  /** Aborted on SIGINT so long commands can stop between units of work. */
  signal: AbortSignal
}

export interface CommandSpec<R = unknown> {
  name: string
  summary: string
  usage: string
  options?: OptionSpec
  /** Does the work; the returned value is printed as JSON with --json. */
  run(args: ParsedArgs, ctx: CommandContext): Promise<R>
  /** Human-readable rendering of the result; defaults to pretty JSON. */
  format?(result: R): string
}

const USAGE = 'EUSAGE'

/** Usage mistakes: exit code 2. */
export class UsageError extends GscError {
  constructor(message: string) {
    super(message, USAGE)
  }
}

export interface Progress {
  update(done: number, detail?: string): void
  done(detail?: string): void
}

const COMMON: OptionSpec = {
  json: { type: 'boolean', default: false },
  help: { type: 'boolean', short: 'h', default: false }
}

export function parseCommandArgs(spec: CommandSpec<any>, argv: string[]): ParsedArgs {
  try {
    const { values, positionals } = parseArgs({
      args: argv,
      options: { ...COMMON, ...(spec.options ?? {}) },
      allowPositionals: true,
      strict: true
    })
    return { values: values as ParsedArgs['values'], positionals }
  } catch (e) {
    throw new UsageError(`${spec.name}: ${describeError(e)} (see gsc ${spec.name} --help)`)
  }
}

export function makeProgress(label: string, total: number | undefined, enabled: boolean): Progress {
  const tty = enabled && process.stderr.isTTY
  let last = 0
  const draw = (done: number, detail = '') => {
    if (!tty) return
    const now = Date.now()
    if (now - last < 100 && (total === undefined || done < total)) return
    last = now
    const width = 30
    let bar = ''
    if (total && total > 0) {
      const frac = Math.min(1, done / total)
      const fill = Math.round(frac * width)
      bar = `[${'#'.repeat(fill)}${'.'.repeat(width - fill)}] ${(frac * 100).toFixed(1).padStart(5)}% `
    }
    process.stderr.write(`\r${label} ${bar}${done}${total ? '/' + total : ''} ${detail}`.slice(0, 160).padEnd(100))
  }
  return {
    update: draw,
    done(detail = '') {
      if (tty) process.stderr.write(`\r${label} done ${detail}`.padEnd(100) + '\n')
    }
  }
}

export function stringOpt(args: ParsedArgs, name: string): string | undefined {
  const v = args.values[name]
  return typeof v === 'string' ? v : undefined
}

export function requireString(args: ParsedArgs, name: string, what: string): string {
  const v = stringOpt(args, name)
  if (v === undefined || v === '') throw new UsageError(`missing --${name} (${what})`)
  return v
}

export function numberOpt(args: ParsedArgs, name: string, fallback?: number, opts: { int?: boolean; min?: number; max?: number } = {}): number | undefined {
  const raw = stringOpt(args, name)
  if (raw === undefined) return fallback
  const n = Number(raw)
  if (!Number.isFinite(n) || raw.trim() === '') throw new UsageError(`--${name} must be a number, got '${raw}'`)
  if (opts.int && !Number.isInteger(n)) throw new UsageError(`--${name} must be an integer, got '${raw}'`)
  if (opts.min !== undefined && n < opts.min) throw new UsageError(`--${name} must be at least ${opts.min}, got ${raw}`)
  if (opts.max !== undefined && n > opts.max) throw new UsageError(`--${name} must be at most ${opts.max}, got ${raw}`)
  return n
}

export function requirePositional(args: ParsedArgs, index: number, what: string): string {
  const v = args.positionals[index]
  if (v === undefined) throw new UsageError(`missing ${what}`)
  return v
}

/** Runs one command and returns the process exit code. Never throws. */
export async function runCommand(spec: CommandSpec<any>, argv: string[]): Promise<number> {
  const controller = new AbortController()
  const onSigint = () => controller.abort()
  process.once('SIGINT', onSigint)
  try {
    const args = parseCommandArgs(spec, argv)
    if (args.values.help) {
      process.stdout.write(`gsc ${spec.name} — ${spec.summary}\n\nusage: ${spec.usage}\n`)
      return 0
    }
    const json = Boolean(args.values.json)
    const ctx: CommandContext = {
      json,
      info: (line) => {
        if (!json) process.stderr.write(line + '\n')
      },
      progress: (label, total) => makeProgress(label, total, !json),
      signal: controller.signal
    }
    const result = await spec.run(args, ctx)
    if (json) process.stdout.write(JSON.stringify(result ?? null) + '\n')
    else if (spec.format) process.stdout.write(spec.format(result) + '\n')
    else if (result !== undefined) process.stdout.write(JSON.stringify(result, null, 2) + '\n')
    return 0
  } catch (e) {
    const shown = toWireError(e)
    process.stderr.write(`gsc: ${shown.message}\n`)
    if (process.env.GSC_DEBUG && e instanceof Error) process.stderr.write(`${e.stack}\n`)
    return shown.code === USAGE ? 2 : 1
  } finally {
    process.off('SIGINT', onSigint)
  }
}
