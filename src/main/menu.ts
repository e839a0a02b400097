// Native menus: File (open capture, quit), View (the interface's views), Help.
import { Menu, type BrowserWindow, type MenuItemConstructorOptions } from 'electron'

export function buildMenu(getWin: () => BrowserWindow | null, actions: { openCapture(): void }): Menu {
  const isMac = process.platform === 'darwin'
  const template: MenuItemConstructorOptions[] = [
    ...(isMac ? [{ role: 'appMenu' as const }] : []),
    {
      label: 'File',
      submenu: [
        { label: 'Open capture…', accelerator: 'CmdOrCtrl+O', click: () => actions.openCapture() },
        { type: 'separator' },
        isMac ? { role: 'close' } : { role: 'quit' }
      ]
    },
    { role: 'editMenu' },
    {
      label: 'View',
      submenu: [{ role: 'reload' }, { role: 'toggleDevTools' }, { type: 'separator' }, { role: 'resetZoom' }, { role: 'zoomIn' }, { role: 'zoomOut' }, { type: 'separator' }, { role: 'togglefullscreen' }]
    },
    { role: 'windowMenu' },
    {
      role: 'help',
      submenu: [{ label: 'About GSC Mission Control', click: () => getWin()?.webContents.send('gsc:event', 'log', { id: 0, at: new Date().toISOString(), severity: 'info', source: 'app', message: 'GSC Mission Control — generative semantic coding ground segment' }) }]
    }
  ]
  return Menu.buildFromTemplate(template)
}
