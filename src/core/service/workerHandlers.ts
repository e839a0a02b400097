// The station's decode workers as the Settings view lists them (read-only): each `gsc worker` with its host,
// execution provider and last heartbeat, from the shared archive's presence table. A SQLite log has none.
import type { DecodeWorkers } from '../../shared/api'
import type { DecodeRouting } from '../jobs/queueRouting'
import { STALE_AFTER_SECONDS } from '../jobs/workerPresence'
import type { HandlerTable } from './handlerTable'

export function workerHandlers(routing: DecodeRouting | null): HandlerTable<'listWorkers'> {
  return {
    listWorkers: async (): Promise<DecodeWorkers> => {
      if (!routing) return { archive: 'sqlite', staleAfterSeconds: STALE_AFTER_SECONDS, waitSeconds: 0, workers: [] }
      const workers = (await routing.workers()).map(({ id: _id, pid: _pid, ...w }) => w)
      return { archive: 'postgres', staleAfterSeconds: routing.staleAfterSeconds, waitSeconds: routing.waitSeconds, workers }
    }
  }
}
