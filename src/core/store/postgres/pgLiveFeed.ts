// The archive's live feed: LISTEN on its notification channel on a connection of its own, so every instance sees
// the writes of every other.
import type pg from 'pg'
import { describeError } from '../../util/errors'
import type { ArchiveChange, SubscribeOptions } from '../archiveTypes'
import { clientFor, withConnectRetries } from './connection'
import { PACKETS_CHANNEL } from './pgWriter'

/**
 * LISTEN on the archive's channel on a connection of its own. If that connection is lost it reconnects with
 * backoff (bounded attempts), then reports through opts.onError; writes made meanwhile are announced by the next
 * notification's lastId (list({ afterId }) catches up).
 */
export async function listenForChanges(url: string, callback: (change: ArchiveChange) => void, opts: SubscribeOptions = {}): Promise<() => Promise<void>> {
  let client: pg.Client | undefined
  let stopped = false
  const connect = async (): Promise<void> => {
    const c = clientFor(url)
    c.on('notification', (m) => {
      if (m.channel !== PACKETS_CHANNEL || !m.payload) return
      try {
        callback(JSON.parse(m.payload) as ArchiveChange)
      } catch {
        /* a malformed payload is not ours to act on */
      }
    })
    c.on('error', () => {
      if (stopped || client !== c) return
      client = undefined
      c.end().catch(() => undefined)
      withConnectRetries(url, 'reconnect the live feed to', connect, { attempts: 6, backoffMs: 500 }).catch((e) => {
        if (!stopped) opts.onError?.(e instanceof Error ? e : new Error(describeError(e)))
      })
    })
    try {
      await c.connect()
      await c.query(`LISTEN ${PACKETS_CHANNEL}`)
    } catch (e) {
      await c.end().catch(() => undefined)
      throw e
    }
    if (stopped) await c.end()
    else client = c
  }
  await withConnectRetries(url, 'listen on', connect)
  return async () => {
    stopped = true
    const c = client
    client = undefined
    await c?.end().catch(() => undefined)
  }
}
