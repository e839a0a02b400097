// A child process for tests that kill an import: imports a capture into the archive a location names (a SQLite file
// or a postgres:// URL) and prints the import summary as JSON, as `gsc log import --json` does.
import { openArchive } from '../../src/core/store/archive'

const [location, capture] = process.argv.slice(2)
const archive = await openArchive(location)
try {
  process.stdout.write(JSON.stringify(await archive.importCapture(capture)) + '\n')
} finally {
  await archive.close()
}
