// `npm start`: the desktop window where Electron's binary exists, otherwise `gsc serve` for a browser.
import { existsSync } from 'node:fs'
import { spawn } from 'node:child_process'
import path from 'node:path'
import { fileURLToPath } from 'node:url'

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..')
const electronBin = path.join(root, 'node_modules', 'electron', 'dist', 'electron')
const run = (cmd, args) => {
  const child = spawn(cmd, args, { cwd: root, stdio: 'inherit' })
  child.on('exit', (code) => process.exit(code ?? 1))
}

if (existsSync(electronBin) && existsSync(path.join(root, 'out', 'main', 'index.js'))) {
  run(electronBin, [root])
} else {
  console.error('Electron is not available here; starting `gsc serve` for a browser instead.')
  run(process.execPath, [path.join(root, 'bin', 'gsc.mjs'), 'serve', ...process.argv.slice(2)])
}
