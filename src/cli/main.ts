// `gsc` entry: dispatches to one command module; every failure becomes one `gsc: ...` line.
import { COMMANDS } from './commands/index'
import { runCommand } from './framework'

function usage(): string {
  const names = Object.keys(COMMANDS).sort()
  const width = Math.max(...names.map((n) => n.length))
  const lines = names.map((n) => `  ${n.padEnd(width)}  ${COMMANDS[n].summary}`)
  return [
    'gsc — GSC Mission Control engine',
    '',
    'usage: gsc <command> [options] [--json]',
    '',
    'commands:',
    ...lines,
    '',
    'Every command accepts --json (one JSON document on stdout) and --help.'
  ].join('\n')
}

function commandList(): string {
  return JSON.stringify({ commands: Object.fromEntries(Object.entries(COMMANDS).map(([k, v]) => [k, v.summary])) })
}

export async function main(argv: string[]): Promise<number> {
  const [name, ...rest] = argv
  if (!name) {
    process.stdout.write(usage() + '\n')
    return 2
  }
  if (name === '--json' || ((name === '--help' || name === '-h' || name === 'help') && rest.includes('--json'))) {
    process.stdout.write(commandList() + '\n')
    return 0
  }
  if (name === '--help' || name === '-h' || name === 'help') {
    process.stdout.write(usage() + '\n')
    return 0
  }
  // Multi-word commands such as `gsc log import` are registered as "log import".
  const two = rest.length > 0 ? `${name} ${rest[0]}` : ''
  const key = two && COMMANDS[two] ? two : name
  const entry = COMMANDS[key]
  if (!entry) {
    process.stderr.write(`gsc: unknown command '${name}' (see gsc --help)\n`)
    return 2
  }
  const spec = (await entry.load()).default
  return runCommand(spec, key === two ? rest.slice(1) : rest)
}
