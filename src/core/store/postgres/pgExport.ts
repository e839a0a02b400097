// Streams the archive's raw bytes back out as a capture file in receive order, as ../exportCapture.ts does for SQLite:
// pages of packets (by id) and of repeated receptions (by the packet newest when they arrived) merged in order into
// the export file (../exportFile.ts). Memory stays flat whatever the size.
import type pg from 'pg'
import { openExportFile } from '../exportFile'
import type { ExportFilter, ExportSummary } from '../types'

const PAGE = 2000 // rows per query: at most ~130 MB of the largest (64 KiB) packets, ~0.4 MB of typical ones

interface Item {
  key: number // the packet id (sorting key k in exportCapture.ts)
  sub: number // 0 for the packet, the duplicate's id for a repeated reception after it
  raw: Buffer
}

/** Pages through a keyset query lazily. */
async function* pages(fetch: (after: [number, number]) => Promise<Item[]>): AsyncGenerator<Item> {
  let after: [number, number] = [-1, -1]
  for (;;) {
    const rows = await fetch(after)
    for (const r of rows) yield r
    if (rows.length < PAGE) return
    const last = rows[rows.length - 1]
    after = [last.key, last.sub]
  }
}

export async function exportCapturePg(pool: pg.Pool, outPath: string, filter: ExportFilter = {}): Promise<ExportSummary> {
  const where: string[] = []
  const params: unknown[] = []
  if (filter.apid !== undefined) (params.push(filter.apid), where.push(`p.apid = $${params.length}`))
  if (filter.status !== undefined) (params.push(filter.status), where.push(`p.status = $${params.length}`))
  const extra = where.map((w) => ` AND ${w}`).join('')
  const n = params.length
  const packetPages = pages(async ([afterId]) =>
    (await pool.query({ text: `SELECT p.id AS key, 0 AS sub, p.raw FROM packets p WHERE p.id > $${n + 1}${extra} ORDER BY p.id LIMIT ${PAGE}`, values: [...params, afterId] }))
      .rows as Item[]
  )
  const dupPages = filter.withDuplicates
    ? pages(async ([afterKey, afterSub]) =>
        (await pool.query({
          text: `SELECT d.after_packet_id AS key, d.id AS sub, p.raw FROM duplicates d JOIN packets p ON p.id = d.packet_id
            WHERE (d.after_packet_id, d.id) > ($${n + 1}, $${n + 2})${extra} ORDER BY d.after_packet_id, d.id LIMIT ${PAGE}`,
          values: [...params, afterKey, afterSub]
        })).rows as Item[]
      )
    : undefined

  const file = openExportFile(outPath)
  try {
    let p = await packetPages.next()
    let d = dupPages ? await dupPages.next() : undefined
    // Merge by (key, sub): a repeated reception follows the packet that was newest when it arrived.
    while (!p.done || (d && !d.done)) {
      const takeDup = d && !d.done && (p.done || d.value.key < p.value.key) // (key, sub > 0) sorts after (key, 0)
      if (takeDup) {
        file.write(d!.value!.raw, true)
        d = await dupPages!.next()
      } else {
        file.write((p as IteratorYieldResult<Item>).value.raw, false)
        p = await packetPages.next()
      }
    }
    return file.commit()
  } catch (e) {
    return file.abort(e)
  }
}
