// Avatar (SPEC §4.7, issue 14), written as attacks where they apply: the
// upload is judged by its bytes only (never the declared type or name),
// decoded under a pixel limit, re-encoded to a 256×256 WebP without
// metadata, one file of 1 MiB at most, the CSRF token first; whatever is
// refused stores nothing. Served at /avatars/<file> (public, by content
// hash) as an image that cannot be read as anything else.
import { Readable } from 'node:stream'
import t from 'tap'
import sharp from 'sharp'
import { personalData } from '../../src/features/index.ts'
import { avatar } from '../../src/features/avatar/index.ts'
import { publishPolicy } from '../../src/features/privacy/index.ts'
import { type Agent, createOwner, createUser, fieldError, flashOf, signIn, startTestApp } from '../helpers/app.ts'

const ta = await startTestApp(t)
const { app, base } = ta
const db = app.deps.db
const owner = await createOwner(ta)
const page = `${base}client/settings/avatar`

// ---------------------------------------------------------------- fixtures, made here with sharp

const solid = (width: number, height: number, background: string) => sharp({ create: { width, height, channels: 3, background } })
const png = await solid(320, 200, '#3366cc').png().toBuffer()
const jpeg = await solid(300, 400, '#cc3366').jpeg().toBuffer()
const webp = await solid(256, 300, '#33cc66').webp().toBuffer()
const gpsJpeg = await solid(300, 300, '#999933').jpeg()
  .withExif({ IFD0: { Make: 'TestCam', Copyright: 'Someone' }, IFD3: { GPSLatitudeRef: 'N', GPSLatitude: '55/1 45/1 0/1', GPSLongitudeRef: 'E', GPSLongitude: '37/1 37/1 0/1' } })
  .toBuffer()
// 64 megapixels of one colour: a small file that decodes to ~190 MB.
const bomb = await solid(8000, 8000, '#ffffff').png({ compressionLevel: 9 }).toBuffer()
const svg = Buffer.from('<svg xmlns="http://www.w3.org/2000/svg" width="10" height="10"><script>alert(1)</script><rect width="10" height="10"/></svg>')
const html = Buffer.from('<!doctype html><html><body><script>alert(document.cookie)</script></body></html>')
const polyglot = Buffer.concat([png, Buffer.from('<html><script>alert("polyglot")</script></html>')])
const truncated = png.subarray(0, Math.floor(png.length / 2))
// Random bytes do not compress: a PNG of noise larger than 1.5 MiB.
const noise = (width: number, height: number) => sharp(Buffer.from(Array.from({ length: width * height * 3 }, () => Math.floor(Math.random() * 256))), { raw: { width, height, channels: 3 } }).png({ compressionLevel: 0 }).toBuffer()
const large = await noise(800, 800)
let shade = 0
/** A PNG no other upload of this file has: its own colour. */
const uniquePng = async () => await solid(40, 40, `#${(++shade).toString(16).padStart(6, '0')}`).png().toBuffer()

// ---------------------------------------------------------------- multipart by hand, as a browser sends it

type Part = { name: string, value: string } | { name: string, filename: string, type: string, data: Buffer }

function multipart (parts: Part[]): { payload: Buffer, contentType: string } {
  const boundary = '----avatarTestBoundary' + Math.random().toString(16).slice(2)
  const chunks: Buffer[] = []
  for (const p of parts) {
    if ('value' in p) {
      chunks.push(Buffer.from(`--${boundary}\r\nContent-Disposition: form-data; name="${p.name}"\r\n\r\n${p.value}\r\n`))
    } else {
      chunks.push(Buffer.from(`--${boundary}\r\nContent-Disposition: form-data; name="${p.name}"; filename="${p.filename}"\r\nContent-Type: ${p.type}\r\n\r\n`), p.data, Buffer.from('\r\n'))
    }
  }
  chunks.push(Buffer.from(`--${boundary}--\r\n`))
  return { payload: Buffer.concat(chunks), contentType: `multipart/form-data; boundary=${boundary}` }
}

const file = (data: Buffer, filename = 'me.png', type = 'image/png'): Part => ({ name: 'avatar', filename, type, data })

/** Posts the upload form: the agent's token first (as the page's form does), then the parts given. */
async function upload (a: Agent, ...parts: Part[]) {
  return await uploadRaw(a, [{ name: '_csrf', value: a.lastCsrf ?? '' }, ...parts])
}
async function uploadRaw (a: Agent, parts: Part[], headers: Record<string, string> = {}) {
  const { payload, contentType } = multipart(parts)
  return await app.inject({ method: 'POST', url: page, headers: { cookie: a.cookieHeader, 'content-type': contentType, ...headers }, payload })
}

const rowOf = async (userId: string) => await db.selectFrom('avatars').selectAll().where('user_id', '=', userId).executeTakeFirst()
const rowCount = async () => Number((await db.selectFrom('avatars').select((eb) => eb.fn.countAll().as('n')).executeTakeFirstOrThrow()).n)
const eventCount = async (type: string, userId: string) => (await db.selectFrom('audit_log').select('id').where('action', '=', type).where('target_user_id', '=', userId).execute()).length
const imgOf = (body: string) => body.match(/<img class="avatar[^"]*" src="([^"]+)"/)?.[1]
const served = async (url: string, cookie?: string) => await app.inject({ method: 'GET', url, headers: cookie === undefined ? {} : { cookie } })

let made = 0
async function freshAgent () {
  made++
  const u = await createUser(ta, owner.accountId, `avatar-${made}@example.com`, undefined, `Ivan Petrov ${made}`)
  const a = await signIn(ta, u.email, u.password)
  await a.get(page)
  return { ...u, a }
}

// ---------------------------------------------------------------- the page

t.test('the page: the default initials, the form with the token first, a block on User settings', async (t) => {
  const a = await signIn(ta, owner.email, owner.password)
  const res = await a.get(page)
  t.equal(res.statusCode, 200)
  t.match(res.body, /<span class="avatar avatar-large avatar-initials" aria-hidden="true">OO<\/span>/, 'Olga Owner: OO')
  t.match(res.body, /<header[\s\S]*avatar-initials[^>]*>OO<[\s\S]*<\/header>/, 'the initials in the header too')
  t.match(res.body, 'enctype="multipart/form-data"')
  t.match(res.body, /<label for="f-avatar">Avatar<\/label>/)
  t.match(res.body, 'PNG, JPEG or WebP, up to 1 MiB')
  const form = res.body.match(/<form method="post" action="[^"]*client\/settings\/avatar" enctype[\s\S]*?<\/form>/)?.[0] ?? ''
  t.ok(form.indexOf('name="_csrf"') >= 0 && form.indexOf('name="_csrf"') < form.indexOf('type="file"'), 'the token comes before the file')
  t.notMatch(res.body, 'avatar/remove', 'nothing to remove yet')
  const settings = await a.get(`${base}client/settings`)
  t.match(settings.body, /<h2>Avatar<\/h2>[\s\S]*?href="[^"]*client\/settings\/avatar">Upload<\/a>/)
})

t.test('valid PNG, JPEG and WebP are stored as 256×256 WebP and served as images', async (t) => {
  const { a, userId } = await freshAgent()
  let previous: string | undefined
  for (const [name, data, type] of [['png', png, 'image/png'], ['jpeg', jpeg, 'image/jpeg'], ['webp', webp, 'image/webp']] as const) {
    const res = await upload(a, file(data, `me.${name}`, type))
    t.equal(res.statusCode, 303, `${name}: accepted`)
    t.equal(res.headers.location, page)
    const after = await a.get(page)
    t.equal(flashOf(after.body), 'Avatar changed.')
    const row = await rowOf(userId)
    t.ok(row !== undefined, `${name}: stored`)
    t.match(row!.file, /^[0-9a-f]{64}\.webp$/, 'named by its content hash')
    t.equal(row!.content_type, 'image/webp')
    const meta = await sharp(row!.bytes).metadata()
    t.same([meta.format, meta.width, meta.height], ['webp', 256, 256], `${name}: a 256×256 WebP`)
    t.equal(imgOf(after.body), `${base}avatars/${row!.file}`, 'shown on the page and in the header')

    const got = await served(`${base}avatars/${row!.file}`)
    t.equal(got.statusCode, 200, 'served without a session')
    t.equal(got.headers['content-type'], 'image/webp')
    t.equal(got.headers['x-content-type-options'], 'nosniff')
    t.equal(got.headers['cache-control'], 'public, max-age=31536000, immutable')
    t.match(got.headers['content-security-policy'], /^default-src 'none'/)
    t.equal(got.headers['content-disposition'], `inline; filename="${row!.file}"`)
    t.ok(got.rawPayload.equals(row!.bytes), 'the stored bytes')
    if (previous !== undefined) t.equal((await served(`${base}avatars/${previous}`)).statusCode, 404, 'the replaced one is gone')
    previous = row!.file
  }
  t.equal((await db.selectFrom('avatars').select('file').where('user_id', '=', userId).execute()).length, 1, 'one avatar per user')
  t.equal(await eventCount('avatar.changed', userId), 3, 'each change audited')
})

t.test('EXIF and GPS are gone after the upload', async (t) => {
  const before = await sharp(gpsJpeg).metadata()
  t.ok(before.exif !== undefined && before.exif.length > 0, 'the fixture carries EXIF')
  t.match(before.exif!.toString('latin1'), 'TestCam')
  const { a, userId } = await freshAgent()
  t.equal((await upload(a, file(gpsJpeg, 'holiday.jpg', 'image/jpeg'))).statusCode, 303)
  const row = await rowOf(userId)
  const after = await sharp(row!.bytes).metadata()
  t.equal(after.exif, undefined, 'no EXIF')
  t.equal(after.xmp, undefined, 'no XMP')
  t.equal(after.icc, undefined, 'no ICC profile')
  t.notMatch(row!.bytes.toString('latin1'), /TestCam|Someone|GPS/, 'not a trace in the bytes')
})

t.test('a PNG with HTML appended (a polyglot) is stored re-encoded, the HTML gone', async (t) => {
  const { a, userId } = await freshAgent()
  t.equal((await upload(a, file(polyglot))).statusCode, 303)
  const row = await rowOf(userId)
  t.notMatch(row!.bytes.toString('latin1'), /<html|<script|polyglot/i)
  const got = await served(`${base}avatars/${row!.file}`)
  t.notMatch(got.rawPayload.toString('latin1'), /<script/i)
  t.equal(got.headers['content-type'], 'image/webp', 'never served as what it was uploaded as')
})

t.test('what is not a usable image is refused with a message, nothing stored', async (t) => {
  const { a, userId } = await freshAgent()
  t.equal((await upload(a, file(png))).statusCode, 303, 'a first avatar')
  const kept = (await rowOf(userId))!.file
  const events = await eventCount('avatar.changed', userId)
  const cases: Array<[string, Part[], string]> = [
    ['an 8000×8000 PNG (a decompression bomb)', [file(bomb, 'bomb.png')], 'The image is too large: at most 25 megapixels.'],
    ['an SVG', [file(svg, 'me.svg', 'image/svg+xml')], 'This is not a PNG, JPEG or WebP image.'],
    ['an SVG named and typed as a PNG', [file(svg, 'me.png', 'image/png')], 'This is not a PNG, JPEG or WebP image.'],
    ['HTML sent as image/png', [file(html, 'me.png', 'image/png')], 'This is not a PNG, JPEG or WebP image.'],
    ['a truncated PNG', [file(truncated)], 'The image cannot be read: the file is damaged or incomplete.'],
    ['a truncated JPEG', [file(jpeg.subarray(0, Math.floor(jpeg.length * 0.6)), 'me.jpg', 'image/jpeg')], 'The image cannot be read: the file is damaged or incomplete.'],
    ['a PNG header and nothing else', [file(png.subarray(0, 16))], 'The image cannot be read: the file is damaged or incomplete.'],
    ['two files', [file(png, 'a.png'), file(jpeg, 'b.jpg', 'image/jpeg')], 'Send one file only.'],
    ['a second file under another name', [file(png, 'a.png'), { name: 'other', filename: 'b.png', type: 'image/png', data: png }], 'Send one file only.'],
    [`a ${(large.length / 1048576).toFixed(1)} MiB file`, [file(large, 'big.png')], 'The file is larger than 1 MiB.'],
    ['no file chosen', [{ name: 'avatar', filename: '', type: 'application/octet-stream', data: Buffer.alloc(0) }], 'Choose a file.'],
    ['no file part at all', [], 'Choose a file.'],
    ['an empty file', [file(Buffer.alloc(0), 'empty.png')], 'This is not a PNG, JPEG or WebP image.']
  ]
  t.ok(large.length > 1.5 * 1048576, 'the large fixture is over 1.5 MiB')
  for (const [what, parts, message] of cases) {
    const res = await upload(a, ...parts)
    t.equal(res.statusCode, 422, `${what}: 422`)
    t.equal(fieldError(res.body, 'avatar'), message, `${what}: "${message}" beside the field`)
    t.equal((await rowOf(userId))!.file, kept, `${what}: the avatar is unchanged`)
  }
  t.equal(await eventCount('avatar.changed', userId), events, 'nothing audited')
  t.equal((await db.selectFrom('avatars').select('file').where('user_id', '=', userId).execute()).length, 1)
})

t.test('a url-encoded post (no file part) is answered with the form\'s message', async (t) => {
  const { a, userId } = await freshAgent()
  const res = await a.post(page, { avatar: 'me.png' })
  t.equal(res.statusCode, 422)
  t.equal(fieldError(res.body, 'avatar'), 'Choose a file.')
  t.equal(await rowOf(userId), undefined)
  t.equal((await a.post(page, { _csrf: null, avatar: 'me.png' })).statusCode, 403, 'its token is checked all the same')
})

t.test('a body declaring more than the upload limit is refused before it is read (413)', async (t) => {
  const { a, userId } = await freshAgent()
  const huge = Buffer.alloc(5 * 1048576, 1)
  const res = await upload(a, file(Buffer.concat([png, huge])))
  t.equal(res.statusCode, 413)
  t.equal(await rowOf(userId), undefined)
})

t.test('a body without a declared length is stopped at the same limit', async (t) => {
  const { a, userId } = await freshAgent()
  const { payload, contentType } = multipart([{ name: '_csrf', value: a.lastCsrf! }, file(Buffer.concat([png, Buffer.alloc(5 * 1048576, 1)]))])
  // Sent in chunks without Content-Length, as a chunked upload is.
  const stream = Readable.from((function * () { for (let i = 0; i < payload.length; i += 65536) yield payload.subarray(i, i + 65536) })())
  const res = await app.inject({ method: 'POST', url: page, headers: { cookie: a.cookieHeader, 'content-type': contentType }, payload: stream }).catch((err: unknown) => err as Error)
  if (res instanceof Error) t.pass(`the connection was cut: ${res.message}`)
  else t.equal(res.statusCode, 413)
  t.equal(await rowOf(userId), undefined)
})

t.test('a Russian user reads the messages in Russian', async (t) => {
  const { a, userId } = await freshAgent()
  await db.updateTable('users').set({ language: 'ru' }).where('id', '=', userId).execute()
  const res = await upload(a, file(svg, 'x.svg', 'image/svg+xml'))
  t.equal(res.statusCode, 422)
  t.equal(fieldError(res.body, 'avatar'), 'Это не изображение PNG, JPEG или WebP.')
  t.match(res.body, 'Аватар')
})

// ---------------------------------------------------------------- CSRF

t.test('the CSRF token: missing, wrong, or after the file is a 403, nothing stored', async (t) => {
  const { a, userId } = await freshAgent()
  const token = a.lastCsrf!
  t.equal((await uploadRaw(a, [file(png)])).statusCode, 403, 'no token')
  t.equal((await uploadRaw(a, [{ name: '_csrf', value: 'forged' }, file(png)])).statusCode, 403, 'a wrong token')
  t.equal((await uploadRaw(a, [file(png), { name: '_csrf', value: token }])).statusCode, 403, 'the token after the file')
  t.equal((await uploadRaw(a, [{ name: 'x', value: '1' }, { name: '_csrf', value: token }, file(png)])).statusCode, 403, 'the token not first')
  const tokenless = multipart([file(png)])
  t.equal((await app.inject({ method: 'POST', url: `${page}?_csrf=${encodeURIComponent(token)}`, headers: { cookie: a.cookieHeader, 'content-type': tokenless.contentType }, payload: tokenless.payload })).statusCode, 403, 'no query-string fallback')
  const cut = multipart([{ name: '_csrf', value: token }, file(png)])
  t.equal((await app.inject({ method: 'POST', url: page, headers: { cookie: a.cookieHeader, 'content-type': cut.contentType }, payload: cut.payload.subarray(0, 60) })).statusCode, 400, 'a body cut short: 400')
  t.equal(await rowOf(userId), undefined, 'nothing stored')
  const res = await a.post(`${page}/remove`, { _csrf: null })
  t.equal(res.statusCode, 403, 'Remove checks it too')
  t.equal((await uploadRaw(a, [{ name: '_csrf', value: token }, file(png)])).statusCode, 303, 'with the token first it works')
})

t.test('a forged form with the attacker\'s own token changes only the attacker\'s avatar', async (t) => {
  const other = await createOwner(ta, 'attacker@example.com', 'another long passphrase', 'Mallory Attacker')
  const attacker = await signIn(ta, other.email, other.password)
  await attacker.get(page)
  const victim = await freshAgent()
  // The victim's browser posts the attacker's page: the victim's cookies, the attacker's token.
  const forged = await uploadRaw(victim.a, [{ name: '_csrf', value: attacker.lastCsrf! }, file(png)])
  t.equal(forged.statusCode, 403, 'the token belongs to another browser')
  t.equal(await rowOf(victim.userId), undefined, 'the victim\'s avatar untouched')
  const own = await upload(attacker, file(png))
  t.equal(own.statusCode, 303)
  t.ok(await rowOf(other.userId) !== undefined, 'the attacker changed their own')
  t.equal(await rowOf(victim.userId), undefined, 'and only their own')
})

// ---------------------------------------------------------------- remove, header, list, serving

t.test('Remove restores the initials and audits it', async (t) => {
  const { a, userId } = await freshAgent()
  const same = await freshAgent()
  const image = await uniquePng()
  await upload(a, file(image))
  await upload(same.a, file(image))
  const fileName = (await rowOf(userId))!.file
  const shown = await a.get(page)
  t.match(shown.body, 'avatar/remove')
  const res = await a.post(`${page}/remove`, {})
  t.equal(res.statusCode, 303)
  const after = await a.get(page)
  t.equal(flashOf(after.body), 'Avatar removed: your initials are shown instead.')
  t.equal(await rowOf(userId), undefined)
  t.equal(imgOf(after.body), undefined, 'no picture on the page or in the header')
  t.match(after.body, /<header[\s\S]*avatar-initials[^>]*>IP<[\s\S]*<\/header>/, 'Ivan Petrov: IP')
  t.equal((await served(`${base}avatars/${fileName}`)).statusCode, 200, 'another user with the same picture still has it')
  await same.a.post(`${page}/remove`, {})
  t.equal((await served(`${base}avatars/${fileName}`)).statusCode, 404, 'then the file is gone')
  t.equal(await eventCount('avatar.removed', userId), 1)
  t.equal((await a.post(`${page}/remove`, {})).statusCode, 303, 'removing nothing is harmless')
  t.equal(await eventCount('avatar.removed', userId), 1, 'and not audited')
})

t.test('the avatar is shown in the header and in the users list', async (t) => {
  const boss = await signIn(ta, owner.email, owner.password)
  await boss.get(page)
  t.equal((await upload(boss, file(jpeg, 'me.jpg', 'image/jpeg'))).statusCode, 303)
  const mine = (await rowOf(owner.userId))!.file
  const profile = await boss.get(`${base}client/profile`)
  t.match(profile.body, new RegExp(`<header[\\s\\S]*<img class="avatar avatar-small" src="${base}avatars/${mine}" alt=""[\\s\\S]*</header>`), 'in the header, beside the name')
  const { a, userId } = await freshAgent()
  await upload(a, file(webp, 'w.webp', 'image/webp'))
  const theirs = (await rowOf(userId))!.file
  const list = await boss.get(`${base}client/users`)
  t.equal(list.statusCode, 200)
  t.match(list.body, `src="${base}avatars/${mine}"`, 'the owner\'s in the list')
  t.match(list.body, `src="${base}avatars/${theirs}"`, 'the user\'s in the list')
  t.match(list.body, /avatar-initials" aria-hidden="true">IP</, 'initials for a user without one')
})

t.test('/avatars/<file> is public: any avatar by its name, to anyone; an unknown name is a 404', async (t) => {
  // SPEC §4 lists /avatars/<file> among the public endpoints: avatars appear
  // in support correspondence. Its name, a content hash, is what keeps it.
  const stranger = await createOwner(ta, 'stranger@example.com', 'a stranger passphrase ok', 'Sam Stranger')
  const s = await signIn(ta, stranger.email, stranger.password)
  const { a, userId } = await freshAgent()
  await upload(a, file(png))
  const url = `${base}avatars/${(await rowOf(userId))!.file}`
  t.equal((await served(url)).statusCode, 200, 'without a session')
  t.equal((await served(url, s.cookieHeader)).statusCode, 200, 'to a user of another account')
  for (const bad of ['0'.repeat(64) + '.webp', 'x.webp', '..%2F..%2Fetc%2Fpasswd', ('A'.repeat(64)) + '.webp', (await rowOf(userId))!.file.replace('.webp', '.png')]) {
    t.equal((await served(`${base}avatars/${bad}`)).statusCode, 404, `${bad}: 404`)
  }
})

// ---------------------------------------------------------------- parallel, restriction, personal data

t.test('parallel uploads leave exactly one avatar per user', async (t) => {
  const { a, userId } = await freshAgent()
  const images = await Promise.all(['#111111', '#222222', '#333333', '#444444', '#555555', '#666666'].map(async (c) => await solid(64, 64, c).png().toBuffer()))
  const answers = await Promise.all(images.map(async (img) => await upload(a, file(img))))
  t.same(answers.map((r) => r.statusCode), images.map(() => 303))
  const rows = await db.selectFrom('avatars').select('file').where('user_id', '=', userId).execute()
  t.equal(rows.length, 1, 'one row')
  t.equal((await served(`${base}avatars/${rows[0]!.file}`)).statusCode, 200, 'and it is served')
  t.equal(await eventCount('avatar.changed', userId), images.length, 'each change audited')
})

t.test('a restricted user cannot change or remove the avatar', async (t) => {
  const { a, userId } = await freshAgent()
  await upload(a, file(png))
  const kept = (await rowOf(userId))!.file
  await db.updateTable('users').set({ restricted: true }).where('id', '=', userId).execute()
  const res = await upload(a, file(jpeg, 'x.jpg', 'image/jpeg'))
  t.equal(res.statusCode, 303)
  t.equal(res.headers.location, page)
  t.equal((await a.post(`${page}/remove`, {})).statusCode, 303)
  t.equal((await rowOf(userId))!.file, kept, 'unchanged')
})

t.test('personal data: the export names the avatar, the deletion erases it', async (t) => {
  const { a, userId } = await freshAgent()
  await upload(a, file(png))
  const mine = personalData().flatMap((p) => p.export ?? []).find((s) => s.name === 'avatar')
  t.ok(mine !== undefined, 'an export section "avatar"')
  const rows: Array<Record<string, unknown>> = []
  for await (const row of mine!.query(db, { id: userId, accountId: owner.accountId }).stream()) rows.push(row)
  t.equal(rows.length, 1)
  t.same(Object.keys(rows[0]!), ['file', 'content_type', 'created_at'], 'the name, type and time, not the bytes')
  const before = await rowCount()
  const erase = avatar.personalData?.erase
  t.ok(erase !== undefined, 'an erase step')
  await db.transaction().execute(async (trx) => { await erase!(trx, { id: userId, accountId: owner.accountId, email: 'x@example.invalid', fullName: 'x', phone: null }) })
  t.equal(await rowOf(userId), undefined, 'erased')
  t.equal(await rowCount(), before - 1, 'only that user\'s')
})

// Last: a required document waiting for acceptance holds every user.
t.test('an upload waits, like any other form, for a required document to be accepted', async (t) => {
  const { a, userId } = await freshAgent()
  const r = await publishPolicy(app.deps, { document: 'privacy-policy', version: 99, effectiveAt: ta.clock.now().toISOString(), textEn: 'Updated.', textRu: 'Обновлено.', changesEn: 'New.', changesRu: 'Новое.' })
  t.ok(r.ok, 'published')
  const res = await upload(a, file(png))
  t.equal(res.statusCode, 403, 'refused by the acceptance gate')
  t.equal(await rowOf(userId), undefined, 'nothing stored')
})
