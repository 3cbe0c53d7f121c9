// The catalogs: Russian has every English key with the same placeholders,
// and placeholders are filled without reading values as templates.
import t from 'tap'
import { translator } from '../../src/lib/i18n.ts'
import { en } from '../../src/locales/en.ts'
import { ru } from '../../src/locales/ru.ts'

type Entry = string | Readonly<Record<string, string>>
const forms = (entry: Entry): string[] => typeof entry === 'string' ? [entry] : Object.values(entry)
const names = (text: string): string[] => [...new Set([...text.matchAll(/\{(\w+)\}/g)].map((m) => m[1]!))].sort()

t.test('every English key is in Russian, with the same placeholders', async (t) => {
  for (const key of Object.keys(en) as Array<keyof typeof en>) {
    const ruEntry: Entry = ru[key]
    const enEntry: Entry = en[key]
    t.ok(forms(ruEntry).every((text) => text !== ''), `${key} translated`)
    // A plural's forms may differ (English "one" can leave out {count}, Russian "one" also serves 21): the forms together use the same ones, none of another.
    const all = (entry: Entry): string[] => [...new Set(forms(entry).flatMap(names))].sort()
    t.same(all(ruEntry), all(enEntry), `${key}: same placeholders`)
  }
  t.same(Object.keys(ru).filter((k) => !(k in en)), [], 'no Russian key without an English one')
})

t.test('a plural message has the forms its language needs, and the one it picks follows Intl.PluralRules', async (t) => {
  for (const [lang, catalog] of [['en', en], ['ru', ru]] as const) {
    const needed = new Intl.PluralRules(lang).resolvedOptions().pluralCategories.slice().sort()
    for (const [key, entry] of Object.entries(catalog) as Array<[string, Entry]>) {
      if (typeof entry !== 'string') t.same(Object.keys(entry).sort(), needed, `${lang} ${key}: ${needed.join('/')}`)
    }
  }
  const ruT = translator('ru')
  const users = (count: number): string => ruT('users.count', { count })
  t.equal(users(1), '1 пользователь')
  t.equal(users(2), '2 пользователя')
  t.equal(users(5), '5 пользователей')
  t.equal(users(21), '21 пользователь')
  t.equal(users(11), '11 пользователей')
  t.equal(users(22), '22 пользователя')
  t.equal(users(111), '111 пользователей')
  t.equal(ruT('users.count', { count: '3' }), '3 пользователя', 'a count given as text (a flash parameter) picks its form too')
  t.equal(translator('en')('users.count', { count: 1 }), '1 user')
  t.equal(translator('en')('users.count', { count: 0 }), '0 users')
  t.equal(ruT('twoFactor.codesLeft', { count: 1 }), 'Остался 1 неиспользованный резервный код.')
  t.equal(ruT('twoFactor.codesLeft', { count: 4 }), 'Осталось 4 неиспользованных резервных кода.')
})

t.test('placeholders are filled once; a value that looks like one stays as typed', async (t) => {
  const tr = translator('ru')
  t.equal(tr('confirm.op.usersDisable', { target: 'a@b.example' }), 'выключить пользователя a@b.example')
  t.equal(translator('en')('confirm.op.usersDisable', { target: '{target}' }), 'disable the user {target}')
  t.equal(translator('en')('confirm.op.usersDisable', {}), 'disable the user {target}', 'a missing value leaves the placeholder visible')
})
