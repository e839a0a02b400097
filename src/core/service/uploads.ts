// Files the interface hands the engine (captures, originals): written in chunks to a private folder
// and referred to by an opaque id, so the renderer never names a path on the engine's machine.
import { randomBytes } from 'node:crypto'
import { closeSync, existsSync, mkdirSync, openSync, rmSync, statSync, writeSync } from 'node:fs'
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
  private done = new Map<string, { file: string; name: string }>()

  constructor(private dir: string) {
    mkdirSync(dir, { recursive: true })
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
    this.done.set(id, { file: p.file, name: p.name })
    return { fileRef: `upload:${id}`, octets: p.received }
  }

  /** Registers a file the operator chose in a native dialog (Electron), returning its reference. */
  registerPath(file: string): string {
    if (!existsSync(file) || !statSync(file).isFile()) throw new GscError(`not a file: ${file}`)
    const id = randomBytes(9).toString('base64url')
    this.done.set(id, { file, name: path.basename(file) })
    return `dialog:${id}`
  }

  resolve(ref: string): { file: string; name: string } {
    const id = ref.replace(/^(upload|dialog):/, '')
    const f = this.done.get(id)
    if (!f) throw new GscError(`unknown file reference ${ref}`)
    return f
  }

  close(): void {
    for (const p of this.pending.values()) {
      try {
        closeSync(p.fd)
      } catch {
        /* already closed */
      }
    }
    this.pending.clear()
  }
}
