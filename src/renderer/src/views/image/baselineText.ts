// How a baseline codec and its fit are named in the Image view.
import type { BaselineCodecId, BaselineFit } from '../../../../shared/api'
import { BASELINE_CODECS } from '../../../../shared/schemas'
import { fmtBits } from '../../theme'

export const codecName = (id: BaselineCodecId) => BASELINE_CODECS.find((c) => c.id === id)?.name ?? id

export function baselineLabel(b: BaselineFit): string {
  const parts = [`Baseline ${b.name}`, `${fmtBits(b.bits ?? 0)} (${b.bytes} of ${b.targetBytes} octets)`]
  if (b.setting) parts.push(`${b.setting.name} ${Number(b.setting.value.toPrecision(3))}`)
  if (b.scale !== null && b.scale < 1) parts.push(`coded ${b.codedWidth}×${b.codedHeight}`)
  if (b.metrics) parts.push(`PSNR ${b.metrics.psnr.toFixed(1)} dB${Number.isFinite(b.metrics.ssim) ? `, SSIM ${b.metrics.ssim.toFixed(3)}` : ''}`)
  return parts.join(' · ')
}
