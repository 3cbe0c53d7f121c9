// The templates each language compiles (plugins/view.ts createEta): the fixed
// texts written in at compile time, Eta's unused helpers left out and
// partials given only the page's data they read change no byte of what a
// page prints.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { Eta } from 'eta'
import t from 'tap'
import { createEta } from '../../src/plugins/view.ts'
import { languages, translator } from '../../src/lib/i18n.ts'

const templates = {
  '@page': [
    "<% layout('@layout', { title: it.t('profile.title') }) %>",
    "<h1><%= it.t('profile.ownerNote') %></h1>", // an apostrophe: escaped, and in a '…' literal of the code
    "<p><%~ it.t('profile.ownerNote') %></p>", // raw
    "<p><%= it.t('layout.signedInAs', { name: '<b>O\\'Neil</b>' }) %></p>", // parameters: looked up when rendered
    "<p><%= it.t('login.recoveryUsed', { count: 2 }) %></p>", // a plural message
    '<p><%= it.t(it.key) %></p>', // a key known only when rendered
    "<p><%= it.flag ? it.t('button.save') : it.t('button.edit') %></p>", // calls inside an expression
    "<%~ include('@part') %>|<%~ include('@part', { x: 'given' }) %>",
    '<% if (it.flag) { %>',
    "  <%= it.t('layout.logout') %> and <%= it.t('nav.skip') %>",
    '<% } %>'
  ].join('\n'),
  '@part': "<i><%= it.x %> <%= it.t('layout.logout') %></i>",
  '@layout': '<title><%= it.title %></title>\n<%~ it.body %>'
}

for (const lang of languages) {
  t.test(`${lang}: the same page as Eta prints it`, async (t) => {
    const plain = new Eta({ autoEscape: true, autoTrim: [false, 'nl'] })
    const ours = createEta(lang)
    for (const eta of [plain, ours]) for (const [name, source] of Object.entries(templates)) eta.loadTemplate(name, source)
    for (const flag of [true, false]) {
      const data = { t: translator(lang), key: 'profile.emailNote', flag, x: 'page <x>' }
      const expected = plain.render('@page', data)
      t.equal(ours.render('@page', data), expected, `flag ${String(flag)}`)
      t.match(expected, translator(lang)('profile.title'))
    }
    const code = ours.compileToString(templates['@page'])
    t.notMatch(code, "it.t('profile.title')", 'a fixed text is not looked up when rendered')
    t.notMatch(code, "it.t('button.save')", 'nor inside an expression')
    t.match(code, "it.t('layout.signedInAs', {", 'a message with parameters is')
    t.notMatch(code, 'blockAsync', 'helpers the template does not use are left out')
  })
}

t.test('a partial given data gets the page data it and its own partials read, and what it is given', async (t) => {
  const dir = mkdtempSync(path.join(tmpdir(), 'cp-views-'))
  t.teardown(() => rmSync(dir, { recursive: true, force: true }))
  const files: Record<string, string> = {
    'layout.eta': '<title><%= it.title %> · <%= it.appName %></title><%~ include(\'/nav\', { cls: \'top\' }) %>\n<%~ it.body %>',
    'nav.eta': '<% /* it.nav: the items; a note that mentions it. */ %><nav class="<%= it.cls %>"><% for (const n of it.nav) { %><a href="<%= it.base %><%= n %>"><%= it.t(\'layout.logout\') %></a><% } %></nav>',
    'avatar.eta': '<span><%= it.avatar.initials %> <%= it.base %></span><%~ include(\'/badge\', { text: it.avatar.initials }) %>',
    'badge.eta': '<b><%= it.text %>/<%= it.appName %></b>',
    'whole.eta': '<%~ include(\'/badge\', it) %><% const copy = it %><%= copy.base %>',
    'page.eta': [
      "<% layout('/layout', { title: it.t('profile.title') }) %>",
      "<% for (const u of it.users) { %><%~ include('/avatar', { avatar: u }) %><% } %>",
      "<%~ include('/badge', { text: 'shadows nothing', appName: 'given wins' }) %>",
      "<%~ include('/badge') %>",
      "<%~ include('/whole', { text: 'whole' }) %>"
    ].join('\n')
  }
  for (const [name, text] of Object.entries(files)) writeFileSync(path.join(dir, name), text)
  const data = { t: translator('en'), appName: 'Panel', base: '/b/', nav: ['x', 'y'], users: [{ initials: 'AB' }, { initials: 'CD' }], text: 'page text', unused: 'never copied' }
  const plain = new Eta({ views: dir, autoEscape: true, autoTrim: [false, 'nl'] })
  const ours = createEta('en', dir) as Eta & { scopeFor: (template: string, it: object, data: object, options: object) => Record<string, unknown> }
  t.equal(ours.render('/page', data), plain.render('/page', data))
  t.same(Object.keys(ours.scopeFor('/avatar', data, { avatar: {} }, {})).sort(), ['appName', 'avatar', 'base', 'text'], 'what the avatar and the badge it includes read, and the data')
  t.same(Object.keys(ours.scopeFor('/layout', data, { body: '' }, {})).sort(), ['appName', 'base', 'body', 'cls', 'nav', 'title'], 'the layout: with its nav partial, the comment aside; no `t`: its one text is written in')
  t.ok('unused' in ours.scopeFor('/whole', data, {}, {}), 'a partial that passes `it` on whole gets all of it')
})
