// Worker entry: lets this plain-Node worker thread load the TypeScript engine through tsx,
// whichever way the parent process was started (tsx CLI, bin/gsc.mjs register(), plain node).
import { register } from 'tsx/esm/api'

register()
await import('./codecWorker.ts')
