// Window hardening shared by every BrowserWindow: CSP header, no new windows, no navigation away.
import { session, shell, type BrowserWindow } from 'electron'

export const APP_CSP =
  "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data: blob:; connect-src 'self'; font-src 'self' data:; object-src 'none'; base-uri 'none'; frame-ancestors 'none'; form-action 'none'"

export const WEB_PREFERENCES = {
  contextIsolation: true,
  sandbox: true,
  nodeIntegration: false,
  nodeIntegrationInWorker: false,
  webSecurity: true,
  allowRunningInsecureContent: false,
  webviewTag: false,
  spellcheck: false
} as const

export function installSessionPolicy(): void {
  session.defaultSession.webRequest.onHeadersReceived((details, cb) => {
    cb({ responseHeaders: { ...details.responseHeaders, 'Content-Security-Policy': [APP_CSP] } })
  })
  // The interface needs no camera, microphone, notifications permission etc.
  session.defaultSession.setPermissionRequestHandler((_wc, _perm, cb) => cb(false))
}

export function hardenWindow(win: BrowserWindow, allowedUrl: (url: string) => boolean): void {
  win.webContents.setWindowOpenHandler(({ url }) => {
    // Documentation links open in the system browser; nothing opens inside the app.
    if (/^https:\/\//.test(url)) void shell.openExternal(url)
    return { action: 'deny' }
  })
  win.webContents.on('will-navigate', (e, url) => {
    if (!allowedUrl(url)) e.preventDefault()
  })
  win.webContents.on('will-attach-webview', (e) => e.preventDefault())
}
