// Files the interface hands the engine (captures, originals): written in chunks to a private folder
// and referred to by an opaque id, so the renderer never names a path on the engine's machine.
//
// Bounded (docs/serve.md lists every limit and its default): unfinished uploads per client and in
// total, the size an upload may announce, and free disk space (every announced byte not yet received
// counts as used, and a reserve stays free); an upload that receives nothing for `idleMs` is dropped
// and its file removed; a client that goes away loses its unfinished uploads; at most `keepFinished`
// finished uploads are kept (the least recently used goes first). Errors name the upload, never a path.
//
// Each engine writes into its own folder, uploads/<host>-<pid>-<random>; at start, the folders of
// engines that are no longer running (and loose files of older versions) are removed, so a crash
// leaves nothing behind for long. References live as long as the engine; its folder is deleted when
// it closes.
import { randomBytes } from 'node:crypto'
import { closeSync, existsSync, mkdirSync, openSync, readdirSync, rmSync, statSync, statfsSync, writeSync } from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { GscError } from '../util/errors'

export interface UploadLimits {
  /** Largest size an upload may announce, in bytes. */
  maxBytes: number
  /** Unfinished uploads one client may hold at once. */
  perClient: number
  /** Unfinished uploads all clients together may hold at once. */
  total: number
  /** An unfinished upload that receives no chunk for this long is dropped and its file removed (ms). */
  idleMs: number
  /** Bytes of the upload folder's disk that announced uploads may never take. */
  reserveBytes: number
  /** Finished uploads kept for import/replay; beyond this the least recently used is deleted. */
  keepFinished: number
}

export const DEFAULT_UPLOAD_LIMITS: UploadLimits = {
  maxBytes: 4 * 1024 ** 3,
  perClient: 4,
  total: 16,
  idleMs: 120_000,
  reserveBytes: 1024 ** 3,
  keepFinished: 64
}

/** The client of calls that come with none (the Electron window, tests). */
export const LOCAL_CLIENT = 'local'

interface Pending {
  id: string
  client: string
  file: string
  fd: number
  size: number
  received: number
  name: string
  timer: NodeJS.Timeout
}

interface Finished {
  file: string
  name: string
  owned: boolean
}

export interface DroppedUpload {
  name: string
  received: number
  size: number
  reason: 'idle' | 'client gone' | 'disk error'
}

/** "1.5 GiB": sizes in messages, never a path. */
export function formatBytes(n: number): string {
  const units = ['bytes', 'KiB', 'MiB', 'GiB', 'TiB', 'PiB']
  let v = n
  let u = 0
  while (v >= 1024 && u < units.length - 1) {
    v /= 1024
    u++
  }
  return u === 0 ? `${n} bytes` : `${v.toFixed(v < 10 ? 1 : 0)} ${units[u]}`
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0)
    return true
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM'
  }
}

const HOST = os.hostname().replace(/[^A-Za-z0-9.]/g, '_') || 'host'
const FOLDER = /^(.+)-(\d+)-[A-Za-z0-9_]{8}$/

export class UploadArea {
  private pending = new Map<string, Pending>()
  /** Insertion order is use order: resolve() moves an entry to the end. */
  private done = new Map<string, Finished>()
  /** Recently dropped uploads, so a late chunk gets the reason rather than "no such upload". */
  private dropped = new Map<string, string>()
  private readonly limits: UploadLimits
  private readonly own: string
  /** Files and folders removed by the start-up sweep. */
  readonly sweptAtStart: number

  constructor(
    private dir: string,
    limits: Partial<UploadLimits> = {},
    private onDrop: (d: DroppedUpload) => void = () => {}
  ) {
    this.limits = { ...DEFAULT_UPLOAD_LIMITS, ...limits }
    mkdirSync(dir, { recursive: true })
    this.sweptAtStart = this.sweep()
    this.own = path.join(dir, `${HOST}-${process.pid}-${randomBytes(6).toString('base64url').replace(/-/g, '_')}`)
    mkdirSync(this.own)
  }

  /** Removes what engines that are no longer running left behind. */
  private sweep(): number {
    let n = 0
    const dayAgo = Date.now() - 24 * 3600 * 1000
    for (const f of readdirSync(this.dir)) {
      const file = path.join(this.dir, f)
      try {
        const st = statSync(file)
        const m = FOLDER.exec(f)
        let stale: boolean
        if (st.isDirectory()) {
          if (!m) continue
          // Another machine's engine (a shared folder): its process cannot be asked, so wait a day.
          stale = m[1] === HOST ? !alive(Number(m[2])) : st.mtimeMs < dayAgo
        } else stale = f.endsWith('.bin') // written by a version that had no per-engine folder
        if (stale) {
          rmSync(file, { recursive: true, force: true })
          n++
        }
      } catch {
        /* vanished meanwhile */
      }
    }
    return n
  }

  private refuse(message: string): never {
    throw new GscError(message, 'ELIMIT')
  }

  /** Free bytes on the upload folder's disk, less what unfinished uploads have announced but not sent. */
  private available(): number {
    let free: number
    try {
      const s = statfsSync(this.own)
      free = Number(s.bavail) * Number(s.bsize)
    } catch {
      this.refuse('upload refused: the station cannot tell how much disk space is free')
    }
    for (const p of this.pending.values()) free -= p.size - p.received
    return free
  }

  begin(name: string, size: number, client = LOCAL_CLIENT): string {
    const L = this.limits
    if (size > L.maxBytes) this.refuse(`upload refused: ${name} announces ${formatBytes(size)}, more than the station's limit of ${formatBytes(L.maxBytes)}`)
    const mine = [...this.pending.values()].filter((p) => p.client === client).length
    if (mine >= L.perClient) this.refuse(`upload refused: this client already has ${mine} unfinished upload(s), the limit is ${L.perClient}`)
    if (this.pending.size >= L.total) this.refuse(`upload refused: ${this.pending.size} uploads are in progress on the station, the limit is ${L.total}; try again later`)
    const free = this.available()
    if (size > free - L.reserveBytes)
      this.refuse(`upload refused: ${name} announces ${formatBytes(size)}, but only ${formatBytes(Math.max(0, free))} of disk space is free on the station (${formatBytes(L.reserveBytes)} must stay free)`)
    const id = randomBytes(9).toString('base64url')
    const file = path.join(this.own, `${id}.bin`)
    let fd: number
    try {
      fd = openSync(file, 'w')
    } catch (e) {
      this.refuse(`upload refused: the station cannot create an upload file (${(e as NodeJS.ErrnoException).code ?? 'error'})`)
    }
    const p: Pending = { id, client, file, fd, size, received: 0, name, timer: this.idleTimer(id) }
    this.pending.set(id, p)
    return id
  }

  private idleTimer(id: string): NodeJS.Timeout {
    const t = setTimeout(() => this.drop(id, 'idle'), this.limits.idleMs)
    t.unref?.()
    return t
  }

  /** Ends an unfinished upload and removes its file; the reason is kept for a late chunk. */
  private drop(id: string, reason: DroppedUpload['reason']): void {
    const p = this.pending.get(id)
    if (!p) return
    this.discard(p)
    const why =
      reason === 'idle'
        ? `upload ${id} was dropped after ${this.limits.idleMs >= 1000 ? `${Math.round(this.limits.idleMs / 1000)} s` : `${this.limits.idleMs} ms`} without data; its bytes were discarded`
        : reason === 'disk error'
          ? `upload ${id} was dropped after a disk error; its bytes were discarded`
          : `upload ${id} was dropped when its client went away`
    this.dropped.set(id, why)
    if (this.dropped.size > 256) this.dropped.delete(this.dropped.keys().next().value!)
    this.onDrop({ name: p.name, received: p.received, size: p.size, reason })
  }

  private discard(p: Pending): void {
    clearTimeout(p.timer)
    this.pending.delete(p.id)
    try {
      closeSync(p.fd)
    } catch {
      /* already closed */
    }
    rmSync(p.file, { force: true })
  }

  private get(id: string, client: string): Pending {
    const p = this.pending.get(id)
    if (!p || p.client !== client) throw new GscError(this.dropped.get(id) ?? `no upload ${id} in progress`)
    return p
  }

  chunk(id: string, offset: number, data: Buffer, client = LOCAL_CLIENT): number {
    const p = this.get(id, client)
    if (offset !== p.received) throw new GscError(`upload ${id}: chunk at ${offset}, expected ${p.received}`)
    if (p.received + data.length > p.size) throw new GscError(`upload ${id}: more bytes than announced (${p.size})`)
    try {
      writeSync(p.fd, data, 0, data.length, offset)
    } catch (e) {
      this.drop(id, 'disk error')
      throw new GscError(`upload ${id}: the station could not write it (${(e as NodeJS.ErrnoException).code ?? 'error'}); its bytes were discarded`, 'EIO')
    }
    p.received += data.length
    clearTimeout(p.timer)
    p.timer = this.idleTimer(id)
    return p.received
  }

  end(id: string, client = LOCAL_CLIENT): { fileRef: string; octets: number } {
    const p = this.get(id, client)
    clearTimeout(p.timer)
    this.pending.delete(id)
    closeSync(p.fd)
    if (p.received !== p.size) {
      rmSync(p.file, { force: true })
      throw new GscError(`upload ${id}: got ${p.received} of ${p.size} bytes`)
    }
    this.keep(id, { file: p.file, name: p.name, owned: true })
    return { fileRef: `upload:${id}`, octets: p.received }
  }

  private keep(id: string, f: Finished): void {
    this.done.set(id, f)
    while (this.done.size > this.limits.keepFinished) {
      const [oldId, old] = this.done.entries().next().value!
      this.done.delete(oldId)
      // An import still reading it keeps its open descriptor; the name goes now.
      if (old.owned) rmSync(old.file, { force: true })
    }
  }

  /** A client went away: its unfinished uploads are dropped (finished ones stay for its next connection). */
  dropClient(client: string): void {
    for (const p of [...this.pending.values()]) if (p.client === client) this.drop(p.id, 'client gone')
  }

  /** Unfinished uploads (all clients). */
  get inProgress(): number {
    return this.pending.size
  }

  /** Registers a file the operator chose in a native dialog (Electron), returning its reference. */
  registerPath(file: string): string {
    if (!existsSync(file) || !statSync(file).isFile()) throw new GscError(`not a file: ${file}`)
    const id = randomBytes(9).toString('base64url')
    this.keep(id, { file, name: path.basename(file), owned: false })
    return `dialog:${id}`
  }

  resolve(ref: string): { file: string; name: string } {
    const id = ref.replace(/^(upload|dialog):/, '')
    const f = this.done.get(id)
    if (!f) throw new GscError(`unknown file reference ${ref}`)
    this.done.delete(id)
    this.done.set(id, f)
    return { file: f.file, name: f.name }
  }

  /** Closes partial uploads and deletes every file this area wrote (never a file chosen in a dialog). */
  close(): void {
    for (const p of [...this.pending.values()]) this.discard(p)
    this.done.clear()
    rmSync(this.own, { recursive: true, force: true })
  }
}

/** The same error with an upload's server path replaced by the name the client gave it. */
export function hidePath(e: unknown, file: string, name: string): unknown {
  if (!(e instanceof Error) || !e.message.includes(file)) return e
  const code = (e as { code?: unknown }).code
  return new GscError(e.message.split(file).join(name), typeof code === 'string' ? code : 'EIO')
}
