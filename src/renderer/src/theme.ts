// One palette for severities and packet states, after Open MCT / Yamcs conventions:
// nominal green, watch yellow, warning orange, distress red-orange, critical red, info neutral blue.
import { createTheme } from '@mantine/core'
import type { PacketStatus, Severity } from '../../shared/api'

export const SEVERITY_COLOR: Record<Severity, string> = {
  debug: '#6b7785',
  info: '#4c9be8',
  watch: '#e8d44c',
  warning: '#f0a030',
  distress: '#f0643c',
  critical: '#ff3040'
}

export const STATUS_COLOR: Record<PacketStatus, string> = {
  ok: '#3fbf7f',
  crc_failed: SEVERITY_COLOR.critical,
  malformed: SEVERITY_COLOR.distress,
  // Other APIDs' traffic: kept and counted, not an image, not an error.
  foreign: '#8a7fd8',
  idle: '#5c6773'
}
export const STATUS_LABEL: Record<PacketStatus, string> = {
  ok: 'received',
  crc_failed: 'CRC failed',
  malformed: 'malformed',
  foreign: 'foreign APID',
  idle: 'idle'
}
export const STATUS_ORDER: PacketStatus[] = ['ok', 'foreign', 'idle', 'crc_failed', 'malformed']
export const GAP_COLOR = SEVERITY_COLOR.warning
export const TRANSMITTED_COLOR = '#39c5e6'
export const DETECTED_COLOR = '#ffb02e'
export const LIVE_COLOR = '#3fbf7f'
export const FIXED_COLOR = SEVERITY_COLOR.warning

export const theme = createTheme({
  primaryColor: 'cyan',
  fontFamily: 'Inter, system-ui, "Segoe UI", Roboto, sans-serif',
  fontFamilyMonospace: '"JetBrains Mono", "DejaVu Sans Mono", monospace',
  defaultRadius: 'sm',
  colors: {
    dark: ['#c9d1d9', '#aab4be', '#8b96a3', '#5c6773', '#39424d', '#2a323b', '#1e252d', '#161b22', '#0f1318', '#0a0d11']
  }
})

export function fmtBits(bits: number): string {
  if (bits >= 1e6) return `${(bits / 1e6).toFixed(2)} Mbit`
  if (bits >= 1e4) return `${(bits / 1e3).toFixed(1)} kbit`
  return `${Math.round(bits)} bit`
}

export function fmtTime(iso: string, withDate = false): string {
  const d = new Date(iso)
  const t = d.toISOString()
  return withDate ? `${t.slice(0, 10)} ${t.slice(11, 23)}Z` : `${t.slice(11, 23)}Z`
}
