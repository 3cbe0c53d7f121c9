// The catalogs: Russian has every English key with the same placeholders,
// and placeholders are filled without reading values as templates.
import t from 'tap'
import { translator } from '../../src/lib/i18n.ts'
import { en } from '../../src/locales/en.ts'
import { ru } from '../../src/locales/ru.ts'

const names = (text: string): string[] => [...text.matchAll(/\{(\w+)\}/g)].map((m) => m[1]!).sort()

t.test('every English key is in Russian, with the same placeholders', async (t) => {
  for (const key of Object.keys(en) as Array<keyof typeof en>) {
    t.ok(typeof ru[key] === 'string' && ru[key] !== '', `${key} translated`)
    t.same(names(ru[key]), names(en[key]), `${key}: same placeholders`)
  }
  t.same(Object.keys(ru).filter((k) => !(k in en)), [], 'no Russian key without an English one')
})

t.test('placeholders are filled once; a value that looks like one stays as typed', async (t) => {
  const tr = translator('ru')
  t.equal(tr('confirm.op.usersDisable', { target: 'a@b.example' }), 'выключить пользователя a@b.example')
  t.equal(translator('en')('confirm.op.usersDisable', { target: '{target}' }), 'disable the user {target}')
  t.equal(translator('en')('confirm.op.usersDisable', {}), 'disable the user {target}', 'a missing value leaves the placeholder visible')
})
