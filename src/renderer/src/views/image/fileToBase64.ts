// A file the analyst picked, as base64 for the API (which carries bytes as text). Converted in 32 KiB slices:
// String.fromCharCode with one argument per byte overflows the call stack on a whole image.
export async function fileToBase64(f: File): Promise<string> {
  const buf = new Uint8Array(await f.arrayBuffer())
  let s = ''
  for (let i = 0; i < buf.length; i += 0x8000) s += String.fromCharCode(...buf.subarray(i, i + 0x8000))
  return btoa(s)
}
