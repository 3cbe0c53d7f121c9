// Uploads: routes of kind 'upload' (plugins/guards.ts) take one file as
// multipart/form-data, from a plain HTML form (JavaScript off). Multipart is
// parsed only in the scope of a feature that calls acceptUploads(): every
// other route keeps taking small url-encoded forms.
// Guarantees:
// - the CSRF token is checked before the file is read: it must be the form's
//   FIRST part, the hidden `_csrf` field (browsers send fields in document
//   order); a form with the file first, or no token, is a 403 (plugins/csrf.ts
//   calls uploadCsrfToken, then the usual check);
// - a body declaring more than the route's body limit is a 413 before
//   anything is read, and one without a declared length is cut there; below it, busboy's limits bound what is kept in memory
//   (one file of UPLOAD_LIMITS.fileSize, a few small fields): a larger file, a
//   second file, too many parts are told apart for the page's message
//   (uploadedFile), and nothing is kept of them;
// - whatever the handler did not read is discarded once the answer is sent.
import fastifyMultipart, { type Multipart } from '@fastify/multipart'
import type { FastifyInstance, FastifyRequest } from 'fastify'

export const MiB = 1024 * 1024

/** Busboy's limits for every upload: one file of 1 MiB, the token and a few small fields. */
export const UPLOAD_LIMITS = {
  files: 1,
  fileSize: MiB,
  fields: 4,
  fieldSize: 1024,
  fieldNameSize: 64,
  parts: 6,
  headerPairs: 16
} as const

const PARTS = Symbol('upload parts')
type WithParts = FastifyRequest & { [PARTS]?: AsyncIterator<Multipart> }

/** Multipart parsing in the calling plugin's scope (a feature's routes): call it before adding the upload routes. */
export async function acceptUploads (app: FastifyInstance): Promise<void> {
  await app.register(fastifyMultipart, { limits: UPLOAD_LIMITS, throwFileSizeLimit: true })
  app.addHook('onResponse', (request, _reply, done) => {
    // Refused before its file was read (a wrong token, a guard, a bad file):
    // the rest of the body is read and dropped, so that the connection can serve the next request.
    if ((request as WithParts)[PARTS] !== undefined && !request.raw.readableEnded) {
      request.raw.unpipe()
      request.raw.resume()
    }
    done()
  })
}

/** A body busboy cannot parse (cut short, no boundary) is the client's fault: 400, not a 500. */
function asBadRequest (err: unknown): unknown {
  if (err instanceof Error && (err as { statusCode?: unknown }).statusCode === undefined) Object.assign(err, { statusCode: 400 })
  return err
}

function tooLarge (): Error {
  return Object.assign(new Error('request body is too large'), { statusCode: 413, code: 'FST_ERR_CTP_BODY_TOO_LARGE' })
}

/**
 * The CSRF token of an upload: the first part, if it is the `_csrf` field;
 * '' otherwise. Starts reading the parts; the handler reads on with
 * uploadedFile. A request that is not multipart has its url-encoded body
 * parsed already and carries the token there.
 */
export async function uploadCsrfToken (request: FastifyRequest): Promise<string> {
  if (typeof request.isMultipart !== 'function') {
    throw new Error(`${request.routeOptions.url ?? request.url} is an upload route outside a scope that called acceptUploads()`)
  }
  if (!request.isMultipart()) {
    const token = (request.body as Record<string, unknown> | undefined)?._csrf
    return typeof token === 'string' ? token : ''
  }
  const declared = Number(request.headers['content-length'])
  if (Number.isFinite(declared) && declared > request.routeOptions.bodyLimit) throw tooLarge()
  const parts = request.parts()
  ;(request as WithParts)[PARTS] = parts
  // The first next() pipes the request into busboy at once (before any data
  // can flow); counting beside it stops a body without a declared length
  // (chunked) at the same limit: the connection is cut, as nothing can be
  // answered to a client still sending.
  const first = parts.next()
  const limit = request.routeOptions.bodyLimit
  let received = 0
  const count = (chunk: Buffer): void => {
    received += chunk.length
    if (received > limit) {
      request.raw.off('data', count)
      request.raw.destroy(tooLarge())
    }
  }
  request.raw.on('data', count)
  request.raw.once('end', () => request.raw.off('data', count))
  return await first.then((part) => firstToken(part), (err: unknown) => { throw asBadRequest(err) })
}

function firstToken (first: IteratorResult<Multipart>): string {
  if (first.done === true || first.value.type !== 'field' || first.value.fieldname !== '_csrf') return ''
  return typeof first.value.value === 'string' ? first.value.value : ''
}

export type Upload =
  | { ok: true, bytes: Buffer }
  /** none: no file chosen; too_large: over UPLOAD_LIMITS.fileSize; too_many: a second file or too many parts. */
  | { ok: false, reason: 'none' | 'too_large' | 'too_many' }

/**
 * The one file of the form's field `name`, read to the end of the body so
 * that a second file is seen. Other fields after the token are ignored
 * (SPEC §8: unknown fields are); a file under another name counts as a
 * second file. A malformed body throws (400).
 */
export async function uploadedFile (request: FastifyRequest, name: string): Promise<Upload> {
  const parts = (request as WithParts)[PARTS]
  if (parts === undefined) return { ok: false, reason: 'none' }
  let bytes: Buffer | undefined
  try {
    for (let next = await parts.next(); next.done !== true; next = await parts.next()) {
      const part = next.value
      if (part.type !== 'file') continue
      if (part.fieldname !== name) {
        part.file.resume()
        return { ok: false, reason: 'too_many' }
      }
      const read = await part.toBuffer()
      // A file input left empty still sends its part: no name, no bytes.
      if (read.length > 0 || part.filename !== '') bytes = read
    }
  } catch (err) {
    const code = (err as { code?: unknown }).code
    if (code === 'FST_REQ_FILE_TOO_LARGE') return { ok: false, reason: 'too_large' }
    if (code === 'FST_FILES_LIMIT' || code === 'FST_PARTS_LIMIT' || code === 'FST_FIELDS_LIMIT') return { ok: false, reason: 'too_many' }
    throw asBadRequest(err)
  }
  return bytes === undefined ? { ok: false, reason: 'none' } : { ok: true, bytes }
}
