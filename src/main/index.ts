// Electron main: one hardened window, the engine in a utilityProcess, IPC that only our own page may use.
import { app, BrowserWindow, dialog, ipcMain, Menu } from 'electron'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { EngineProcess } from './engineProcess'
import { buildMenu } from './menu'
import { WEB_PREFERENCES, hardenWindow, installSessionPolicy } from './security'

// ESM build (package.json has type: module): no __dirname.
const HERE = path.dirname(fileURLToPath(import.meta.url))

let win: BrowserWindow | null = null
const engine = new EngineProcess(path.join(HERE, 'engineHost.js'), {
  GSC_USER_DATA: app.getPath('userData'),
  ...(process.env.GSC_DB ? { GSC_DB: process.env.GSC_DB } : {})
})

const rendererUrl = process.env.ELECTRON_RENDERER_URL
const rendererFile = path.join(HERE, '../renderer/index.html')
const isAppUrl = (url: string) => (rendererUrl ? url.startsWith(rendererUrl) : url.startsWith('file://') && decodeURIComponent(new URL(url).pathname) === rendererFile)

function createWindow(): void {
  win = new BrowserWindow({
    width: 1440,
    height: 900,
    minWidth: 1100,
    minHeight: 700,
    backgroundColor: '#0a0d11',
    title: 'GSC Mission Control',
    show: false,
    webPreferences: { ...WEB_PREFERENCES, preload: path.join(HERE, '../preload/index.cjs') }
  })
  hardenWindow(win, isAppUrl)
  win.once('ready-to-show', () => win?.show())
  win.on('closed', () => (win = null))
  if (rendererUrl) void win.loadURL(rendererUrl)
  else void win.loadFile(rendererFile)
}

async function openCapture(): Promise<void> {
  if (!win) return
  const r = await dialog.showOpenDialog(win, { title: 'Open capture', properties: ['openFile'], filters: [{ name: 'Captures', extensions: ['bin', 'dat', 'raw', 'ccsds', '*'] }] })
  if (r.canceled || !r.filePaths[0]) return
  try {
    const fileRef = (await engine.send({ internal: 'registerPath', path: r.filePaths[0] })) as string
    await engine.call('importCapture', { file: fileRef, name: path.basename(r.filePaths[0]) })
  } catch (e) {
    dialog.showErrorBox('Cannot open capture', e instanceof Error ? e.message : String(e))
  }
}

app.enableSandbox()
app.whenReady().then(() => {
  installSessionPolicy()
  // Only our own page may call the engine; the engine checks each call against the shared schemas.
  ipcMain.handle('gsc:call', async (e, method: unknown, args: unknown) => {
    if (!e.senderFrame || !isAppUrl(e.senderFrame.url)) throw new Error('refused: call from an unknown page')
    return engine.call(method, args)
  })
  engine.on('event', (name: string, data: unknown) => win?.webContents.send('gsc:event', name, data))
  engine.start().catch((e) => dialog.showErrorBox('GSC engine failed to start', e instanceof Error ? e.message : String(e)))
  Menu.setApplicationMenu(buildMenu(() => win, { openCapture }))
  createWindow()
  app.on('activate', () => BrowserWindow.getAllWindows().length === 0 && createWindow())
})

app.on('web-contents-created', (_e, wc) => {
  wc.on('will-navigate', (ev, url) => !isAppUrl(url) && ev.preventDefault())
  wc.setWindowOpenHandler(() => ({ action: 'deny' }))
})

app.on('window-all-closed', () => {
  engine.stop()
  if (process.platform !== 'darwin') app.quit()
})
