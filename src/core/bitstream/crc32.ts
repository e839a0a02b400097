// CRC-32 (IEEE 802.3, reflected, poly 0xEDB88320), table-driven. Guards the whole GSC data field.
const TABLE = (() => {
  const t = new Uint32Array(256)
  for (let n = 0; n < 256; n++) {
    let c = n
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1
    t[n] = c >>> 0
  }
  return t
})()

/** Slicing by 4 (four octets a step, about 2.5x faster, issue 18): SLICE[256 k + n] is n's CRC followed by k zero octets. */
const SLICE = (() => {
  const t = new Int32Array(1024)
  t.set(TABLE)
  for (let i = 256; i < 1024; i++) t[i] = TABLE[t[i - 256] & 0xff] ^ (t[i - 256] >>> 8)
  return t
})()

export function crc32(bytes: Uint8Array, start = 0, end = bytes.length): number {
  let c = -1
  let i = start
  for (const last = end - 3; i < last; i += 4) {
    c ^= bytes[i] | (bytes[i + 1] << 8) | (bytes[i + 2] << 16) | (bytes[i + 3] << 24)
    c = SLICE[768 + (c & 0xff)] ^ SLICE[512 + ((c >>> 8) & 0xff)] ^ SLICE[256 + ((c >>> 16) & 0xff)] ^ SLICE[c >>> 24]
  }
  for (; i < end; i++) c = SLICE[(c ^ bytes[i]) & 0xff] ^ (c >>> 8)
  return (c ^ -1) >>> 0
}
