// A real, private PostgreSQL server for tests and benchmarks: a fresh cluster (initdb) in a temporary folder,
// listening on 127.0.0.1 only, on a free port, trust auth for its own superuser, stopped and deleted by stop().
// Uses Debian's postgresql package (/usr/lib/postgresql/<version>/bin). PostgreSQL refuses to run as root, so as
// root the server runs as the unprivileged user `nobody` (runuser), which owns the temporary folder.
import { spawnSync } from 'node:child_process'
import { chownSync, existsSync, mkdtempSync, readdirSync, rmSync, statSync } from 'node:fs'
import { createServer } from 'node:net'
import { tmpdir } from 'node:os'
import { dirname, join } from 'node:path'
import pg from 'pg'

export interface PostgresCluster {
  /** postgres://gsc@127.0.0.1:<port>/<database> */
  url(database: string): string
  createDatabase(name: string): Promise<string>
  stop(): void
  port: number
  dir: string
}

/** The folder holding initdb and pg_ctl: $GSC_PG_BIN, else the newest /usr/lib/postgresql/<v>/bin. */
export function postgresBinDir(): string {
  const fromEnv = process.env.GSC_PG_BIN
  if (fromEnv) return fromEnv
  const root = '/usr/lib/postgresql'
  const versions = existsSync(root) ? readdirSync(root).filter((v) => existsSync(join(root, v, 'bin', 'initdb'))) : []
  versions.sort((a, b) => Number(b) - Number(a))
  if (versions.length === 0)
    throw new Error(`PostgreSQL server binaries not found under ${root}: install Debian's postgresql package (npm run setup does), or set GSC_PG_BIN`)
  return join(root, versions[0], 'bin')
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer()
    s.once('error', reject)
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as { port: number }).port
      s.close(() => resolve(port))
    })
  })
}

const asRoot = typeof process.getuid === 'function' && process.getuid() === 0

/** uid and gid of `nobody` from the passwd database (65534 on Debian). */
function nobody(): { uid: number; gid: number } {
  const line = spawnSync('getent', ['passwd', 'nobody'], { encoding: 'utf8' }).stdout?.trim()
  const f = line ? line.split(':') : []
  if (f.length < 4) throw new Error('running as root, but there is no user `nobody` to run PostgreSQL as (PostgreSQL refuses root)')
  return { uid: Number(f[2]), gid: Number(f[3]) }
}

/** A parent folder `nobody` can reach: the system temp folder, or /tmp when that one is private to root. */
function serverTempRoot(): string {
  const t = tmpdir()
  if (!asRoot) return t
  let d = t
  for (;;) {
    if ((statSync(d).mode & 0o001) === 0) return '/tmp' // not searchable by others
    const up = dirname(d)
    if (up === d) return t
    d = up
  }
}

function runAsServerUser(cmd: string, args: string[]): { status: number | null; out: string } {
  const r = asRoot
    ? spawnSync('runuser', ['-u', 'nobody', '--', cmd, ...args], { encoding: 'utf8', cwd: '/' })
    : spawnSync(cmd, args, { encoding: 'utf8' })
  return { status: r.status, out: `${r.stdout ?? ''}${r.stderr ?? ''}${r.error ? String(r.error) : ''}` }
}

/** Starts a private cluster. `settings`: extra server settings (-c name=value); tests pass fsync=off for speed. */
export async function startPostgresCluster(settings: Record<string, string | number> = {}): Promise<PostgresCluster> {
  const bin = postgresBinDir()
  const dir = mkdtempSync(join(serverTempRoot(), 'gsc-pg-'))
  if (asRoot) {
    const { uid, gid } = nobody()
    chownSync(dir, uid, gid)
  }
  const data = join(dir, 'data')
  const init = runAsServerUser(join(bin, 'initdb'), ['-D', data, '-U', 'gsc', '--auth=trust', '--no-sync', '-E', 'UTF8', '--locale=C.UTF-8'])
  if (init.status !== 0) {
    rmSync(dir, { recursive: true, force: true })
    throw new Error(`initdb failed: ${init.out.trim().split('\n').slice(-3).join(' | ')}`)
  }
  let port = 0
  let lastError = ''
  for (let attempt = 0; attempt < 5; attempt++) {
    port = await freePort()
    const opts = [`-c listen_addresses=127.0.0.1`, `-p ${port}`, `-k ${dir}`, ...Object.entries(settings).map(([k, v]) => `-c ${k}=${v}`)].join(' ')
    const start = runAsServerUser(join(bin, 'pg_ctl'), ['-D', data, '-l', join(dir, 'server.log'), '-w', '-t', '60', '-o', opts, 'start'])
    if (start.status === 0) {
      lastError = ''
      break
    }
    lastError = start.out.trim().split('\n').slice(-3).join(' | ') // most likely the port was taken meanwhile
  }
  if (lastError) {
    rmSync(dir, { recursive: true, force: true })
    throw new Error(`pg_ctl start failed: ${lastError}`)
  }
  let stopped = false
  const stop = () => {
    if (stopped) return
    stopped = true
    process.off('exit', stop)
    runAsServerUser(join(bin, 'pg_ctl'), ['-D', data, '-m', 'immediate', '-w', 'stop'])
    rmSync(dir, { recursive: true, force: true })
  }
  process.on('exit', stop) // a test run that ends without afterAll still stops its server
  const url = (database: string) => `postgres://gsc@127.0.0.1:${port}/${database}`
  return {
    port,
    dir,
    url,
    stop,
    async createDatabase(name: string) {
      const c = new pg.Client({ connectionString: url('postgres') })
      await c.connect()
      try {
        await c.query(`CREATE DATABASE "${name.replace(/"/g, '')}"`)
      } finally {
        await c.end()
      }
      return url(name)
    }
  }
}

/** Rows of one query on a fresh connection to `url` (tests reading what the archive or the queue wrote). */
export async function queryRows<R = Record<string, unknown>>(url: string, text: string, values: unknown[] = []): Promise<R[]> {
  const c = new pg.Client({ connectionString: url })
  await c.connect()
  try {
    return (await c.query(text, values)).rows as R[]
  } finally {
    await c.end()
  }
}
