// Files the interface hands the engine (captures, originals): written in chunks to a private folder
// and referred to by an opaque id, so the renderer never names a path on the engine's machine.
// References live as long as the engine; its uploads are deleted when it closes, and files an engine
// left behind (a crash) are swept at the next start once they are a day old (another engine sharing
// the folder may still be using younger ones).
import { randomBytes } from 'node:crypto'
import { closeSync, existsSync, mkdirSync, openSync, readdirSync, rmSync, statSync, writeSync } from 'node:fs'
import path from 'node:path'
import { GscError } from '../util/errors'

interface Pending {
  file: string
  fd: number
  size: number
  received: number
  name: string
}

export class UploadArea {
  private pending = new Map<string, Pending>()
  private done = new Map<string, { file: string; name: string; owned: boolean }>()

  constructor(
    private dir: string,
    staleAfterMs = 24 * 3600 * 1000
  ) {
    mkdirSync(dir, { recursive: true })
    this.sweptAtStart = this.sweep(Date.now() - staleAfterMs)
  }

  /** Files removed by the start-up sweep. */
  readonly sweptAtStart: number

  private sweep(olderThanMs: number): number {
    let n = 0
    for (const f of readdirSync(this.dir)) {
      const file = path.join(this.dir, f)
      try {
        if (f.endsWith('.bin') && statSync(file).mtimeMs < olderThanMs) {
          rmSync(file, { force: true })
          n++
        }
      } catch {
        /* vanished meanwhile */
      }
    }
    return n
  }

  begin(name: string, size: number): string {
    const id = randomBytes(9).toString('base64url')
    const file = path.join(this.dir, `${id}.bin`)
    this.pending.set(id, { file, fd: openSync(file, 'w'), size, received: 0, name })
    return id
  }

  chunk(id: string, offset: number, data: Buffer): number {
    const p = this.pending.get(id)
    if (!p) throw new GscError(`no upload ${id} in progress`)
    if (offset !== p.received) throw new GscError(`upload ${id}: chunk at ${offset}, expected ${p.received}`)
    if (p.received + data.length > p.size) throw new GscError(`upload ${id}: more bytes than announced (${p.size})`)
    writeSync(p.fd, data, 0, data.length, offset)
    p.received += data.length
    return p.received
  }

  end(id: string): { fileRef: string; octets: number } {
    const p = this.pending.get(id)
    if (!p) throw new GscError(`no upload ${id} in progress`)
    closeSync(p.fd)
    this.pending.delete(id)
    if (p.received !== p.size) {
      rmSync(p.file, { force: true })
      throw new GscError(`upload ${id}: got ${p.received} of ${p.size} bytes`)
    }
    this.done.set(id, { file: p.file, name: p.name, owned: true })
    return { fileRef: `upload:${id}`, octets: p.received }
  }

  /** Registers a file the operator chose in a native dialog (Electron), returning its reference. */
  registerPath(file: string): string {
    if (!existsSync(file) || !statSync(file).isFile()) throw new GscError(`not a file: ${file}`)
    const id = randomBytes(9).toString('base64url')
    this.done.set(id, { file, name: path.basename(file), owned: false })
    return `dialog:${id}`
  }

  resolve(ref: string): { file: string; name: string } {
    const id = ref.replace(/^(upload|dialog):/, '')
    const f = this.done.get(id)
    if (!f) throw new GscError(`unknown file reference ${ref}`)
    return { file: f.file, name: f.name }
  }

  /** Closes partial uploads and deletes every file this area wrote (never a file chosen in a dialog). */
  close(): void {
    for (const p of this.pending.values()) {
      try {
        closeSync(p.fd)
      } catch {
        /* already closed */
      }
      rmSync(p.file, { force: true })
    }
    this.pending.clear()
    for (const f of this.done.values()) if (f.owned) rmSync(f.file, { force: true })
    this.done.clear()
  }
}
