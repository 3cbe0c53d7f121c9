// In a real browser with JavaScript off: upload an avatar through the
// plain multipart form (the token first, then the file), see it on the page
// and in the header as the served image, be refused an SVG with the
// message beside the field, then Remove and see the initials again. The
// page, with and without an avatar and in its error state, passes axe-core
// and fits a 390 px phone.
import { mkdtempSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'
import sharp from 'sharp'
import t from 'tap'
import { createOwner, startTestApp } from '../helpers/app.ts'
import { browserMissing, newContext, serveToBrowser, widthAuditor } from '../helpers/browser.ts'

const missing = browserMissing()
if (missing !== undefined) {
  t.plan(0, missing)
} else {
  const ta = await startTestApp(t)
  const owner = await createOwner(ta, 'avatar@example.com', 'avatar browser passphrase', 'Anna Avatar')
  const { origin, browser, shots } = await serveToBrowser(t, ta.app)
  const audit = await widthAuditor(t, browser, shots, 'avatar')

  const dir = mkdtempSync(path.join(tmpdir(), 'avatar-e2e-'))
  const photo = path.join(dir, 'photo.jpg')
  writeFileSync(photo, await sharp({ create: { width: 600, height: 400, channels: 3, background: '#2a6f97' } }).jpeg().toBuffer())
  const drawing = path.join(dir, 'drawing.svg')
  writeFileSync(drawing, '<svg xmlns="http://www.w3.org/2000/svg" width="10" height="10"><rect width="10" height="10"/></svg>')

  t.test('upload, see it in the header, a refused SVG, remove', async (t) => {
    const context = await newContext(browser)
    const page = await context.newPage()
    await page.goto(`${origin}/client/settings/avatar`)
    await page.getByLabel('Email').fill(owner.email)
    await page.getByLabel('Password').fill(owner.password)
    await page.getByRole('button', { name: 'Log in', exact: true }).click()
    t.equal(new URL(page.url()).pathname, '/client/settings/avatar')
    t.equal(await page.locator('header .avatar-initials').textContent(), 'AA', 'the initials in the header')
    await audit(t, 'default', page)

    await page.getByLabel('Avatar', { exact: true }).setInputFiles(photo)
    await page.getByRole('button', { name: 'Upload' }).click()
    t.equal(new URL(page.url()).pathname, '/client/settings/avatar')
    t.match(await page.locator('.flash').textContent(), 'Avatar changed.')
    const src = await page.locator('header img.avatar').getAttribute('src')
    t.match(src, /^\/avatars\/[0-9a-f]{64}\.webp$/, 'the picture in the header')
    const size = await page.locator('header img.avatar').evaluate((img: HTMLImageElement) => [img.complete, img.naturalWidth, img.naturalHeight])
    t.same(size, [true, 256, 256], 'loaded from /avatars as a 256×256 image')
    await audit(t, 'uploaded', page)

    await page.getByLabel('Avatar', { exact: true }).setInputFiles(drawing)
    await page.getByRole('button', { name: 'Upload' }).click()
    t.equal(await page.locator('#e-avatar').textContent(), 'This is not a PNG, JPEG or WebP image.')
    t.equal(await page.locator('header img.avatar').getAttribute('src'), src, 'the avatar is unchanged')
    await audit(t, 'refused', page)

    await page.getByRole('button', { name: 'Remove' }).click()
    t.match(await page.locator('.flash').textContent(), 'Avatar removed')
    t.equal(await page.locator('header img.avatar').count(), 0)
    t.equal(await page.locator('header .avatar-initials').textContent(), 'AA', 'the initials again')
    await context.close()
  })
}
