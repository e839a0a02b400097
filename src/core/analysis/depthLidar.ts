// Sparse LiDAR depth as the KITTI depth benchmark stores it: 16-bit greyscale PNG, depth_m = value / 256, 0 = no
// measurement (../shared/data/kitti/depth_velodyne holds single Velodyne scans projected this way). Decoded as
// grey16 so that sharp keeps the 16-bit values as stored (its default raw output would expand to 3 channels).
import sharp from 'sharp'
import { GscError } from '../util/errors'

export interface LidarDepth {
  width: number
  height: number
  /** Metres, row-major; 0 where the scan has no point. */
  depth: Float32Array
}

export async function readLidarDepthPng(path: string): Promise<LidarDepth> {
  let decoded: { data: Buffer; info: { width: number; height: number; channels: number } }
  try {
    decoded = await sharp(path).toColourspace('grey16').raw({ depth: 'ushort' }).toBuffer({ resolveWithObject: true })
  } catch (e) {
    throw new GscError(`cannot read LiDAR depth ${path}: ${(e as Error).message.split('\n')[0]}`)
  }
  const { data, info } = decoded
  if (info.channels !== 1) throw new GscError(`LiDAR depth ${path} has ${info.channels} channels, expected one 16-bit channel`)
  const n = info.width * info.height
  const u16 = new Uint16Array(data.buffer, data.byteOffset, n)
  const depth = new Float32Array(n)
  for (let i = 0; i < n; i++) depth[i] = u16[i] / 256
  return { width: info.width, height: info.height, depth }
}
