import '@mantine/core/styles.css'
import '@mantine/notifications/styles.css'
import './app.css'
import { StrictMode, useState } from 'react'
import { createRoot } from 'react-dom/client'
import { MantineProvider } from '@mantine/core'
import { Notifications } from '@mantine/notifications'
import type { GscApi } from '../../shared/api'
import { createWebSocketApi, type ConnectionState } from './api/wsClient'
import { EngineProvider } from './state'
import { App } from './App'
import { theme } from './theme'

declare global {
  interface Window {
    gsc?: GscApi
  }
}

let setConn: (s: ConnectionState) => void = () => {}
let initial: ConnectionState = 'connecting'
// Electron's preload provides window.gsc; in a browser the same API goes over gsc serve's WebSocket.
const api: GscApi =
  window.gsc ??
  createWebSocketApi((s) => {
    initial = s
    setConn(s)
  })

function Root() {
  const [conn, set] = useState<ConnectionState>(window.gsc ? 'open' : initial)
  setConn = set
  return (
    <MantineProvider theme={theme} defaultColorScheme="dark" forceColorScheme="dark">
      <Notifications position="top-right" limit={4} />
      <EngineProvider api={api}>
        <App connection={conn} />
      </EngineProvider>
    </MantineProvider>
  )
}

createRoot(document.getElementById('root')!).render(
  <StrictMode>
    <Root />
  </StrictMode>
)
