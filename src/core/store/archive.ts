// The packet archive as every front door can use it whatever holds it: one SQLite file (the embedded default) or a
// shared PostgreSQL database, chosen by the location string (a postgres:// URL, or a file path). Both back ends keep
// the same schema and semantics; the PostgreSQL one is asynchronous by nature, so the interface is async for both.
import type { OpenArchiveOptions, PacketArchive } from './archiveTypes'

export type { ArchiveChange, OpenArchiveOptions, PacketArchive, SubscribeOptions } from './archiveTypes'

/** A postgres:// or postgresql:// URL selects PostgreSQL; anything else is a SQLite file path. */
export function isPostgresUrl(location: string): boolean {
  return /^postgres(ql)?:\/\//i.test(location)
}

/**
 * Opens the archive a location names. A PostgreSQL URL is only ever PostgreSQL: when the server cannot be reached the
 * error says which server and why, and nothing falls back to a private SQLite file.
 */
export async function openArchive(location: string, opts: OpenArchiveOptions = {}): Promise<PacketArchive> {
  if (isPostgresUrl(location)) {
    const { openPostgresArchive } = await import('./postgres/pgOpen')
    return openPostgresArchive(location, opts)
  }
  const { SqliteArchive } = await import('./sqliteArchive')
  return new SqliteArchive(location, opts)
}
