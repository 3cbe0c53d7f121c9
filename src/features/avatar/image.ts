// What an uploaded avatar becomes (SECURITY.md, Uploads). Only the bytes
// count: the declared type and the file name are never read.
// - The magic bytes must be PNG, JPEG or WebP (so SVG, HTML and anything
//   else is refused before a decoder sees it), and the decoder must agree.
// - sharp decodes under a pixel limit (a small file that inflates to a huge
//   image, a decompression bomb, is refused before it is decoded) and fails
//   on decode errors (a truncated file).
// - The result is a new image: turned upright by its EXIF orientation, cut
//   to a centred square of SIZE px and encoded as WebP without any metadata
//   (sharp keeps none unless asked: EXIF, GPS, ICC, XMP are gone), so
//   nothing of the upload but its pixels survives (bytes appended to make a
//   polyglot are not pixels).
import { createHash } from 'node:crypto'
import sharp, { type Metadata } from 'sharp'

export const SIZE = 256
/** 25 megapixels: a photo from any phone, not an 8000×8000 bomb. */
export const MAX_INPUT_PIXELS = 25_000_000
export const CONTENT_TYPE = 'image/webp'
export const EXTENSION = 'webp'

type Format = 'png' | 'jpeg' | 'webp'

export function sniff (bytes: Buffer): Format | undefined {
  if (bytes.length >= 8 && bytes.subarray(0, 8).equals(Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]))) return 'png'
  if (bytes.length >= 3 && bytes[0] === 0xff && bytes[1] === 0xd8 && bytes[2] === 0xff) return 'jpeg'
  if (bytes.length >= 12 && bytes.toString('latin1', 0, 4) === 'RIFF' && bytes.toString('latin1', 8, 12) === 'WEBP') return 'webp'
  return undefined
}

export type Reencoded =
  | { ok: true, bytes: Buffer, file: string, contentType: string }
  /** not_image: not PNG, JPEG or WebP; too_big: over MAX_INPUT_PIXELS; broken: cannot be decoded (truncated, corrupt). */
  | { ok: false, reason: 'not_image' | 'too_big' | 'broken' }

// sharp says so in its message only ("Input image exceeds pixel limit").
const tooBig = (err: unknown): boolean => err instanceof Error && /pixel limit/i.test(err.message)

export async function reencode (input: Buffer): Promise<Reencoded> {
  const format = sniff(input)
  if (format === undefined) return { ok: false, reason: 'not_image' }
  const image = sharp(input, { limitInputPixels: MAX_INPUT_PIXELS, failOn: 'error' })
  let meta: Metadata
  try {
    meta = await image.metadata()
  } catch (err) {
    return { ok: false, reason: tooBig(err) ? 'too_big' : 'broken' }
  }
  if (meta.format !== format) return { ok: false, reason: 'not_image' }
  if (meta.width * meta.height > MAX_INPUT_PIXELS) return { ok: false, reason: 'too_big' }
  let bytes: Buffer
  try {
    bytes = await image.rotate().resize(SIZE, SIZE, { fit: 'cover', position: 'centre' }).webp({ quality: 85 }).toBuffer()
  } catch (err) {
    return { ok: false, reason: tooBig(err) ? 'too_big' : 'broken' }
  }
  return { ok: true, bytes, file: `${createHash('sha256').update(bytes).digest('hex')}.${EXTENSION}`, contentType: CONTENT_TYPE }
}

/** The name an avatar is served under: what reencode() names, nothing else reaches the database. */
export const FILE_NAME = new RegExp(`^[0-9a-f]{64}\\.${EXTENSION}$`)
