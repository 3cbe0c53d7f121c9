// The activity sentences without a database: every declared event type has
// its sentence in both languages, filled, in words; and each kind of fact
// reads as it should.
import t from 'tap'
import { EVENT_TYPES } from '../../src/features/activity/event-types.ts'
import { eventSentence, permissionLabeler, type Person, type SentenceContext, type SentenceRow } from '../../src/features/activity/sentences.ts'
import { features } from '../../src/features/index.ts'
import type { EventType } from '../../src/lib/events.ts'
import { type AuthService, serviceNameOf } from '../../src/lib/auth-services.ts'
import { languages, type MessageKey, translator } from '../../src/lib/i18n.ts'
import { defaultSections, makeCatalog } from '../../src/lib/permissions.ts'

// What app.ts merges into app.eventSentences and app.operations.
const sentences: Record<string, MessageKey> = Object.assign({}, ...features.map((f) => f.events ?? {}))
const operations: Record<string, MessageKey> = Object.assign({}, ...features.map((f) => f.operations ?? {}))
const catalog = makeCatalog(defaultSections)
// The external authorization services configured now (AUTH_PROVIDERS_FILE): keycloak, named.
const services: AuthService[] = [{ kind: 'oidc', id: 'keycloak', name: 'Company SSO', issuer: 'https://idp.example', clientId: 'panel', clientSecret: 'secret', scopes: ['openid'] }]

function ctxIn (lang: 'en' | 'ru'): SentenceContext {
  return { t: translator(lang), sentences, operations, permissionLabel: permissionLabeler(catalog, lang), serviceName: (id) => serviceNameOf(services, id) }
}
const en = ctxIn('en')
const anna: Person = { id: '1', email: 'anna@example.com', name: 'Anna Petrova', gone: false }
const boris: Person = { id: '2', email: 'boris@example.com', name: 'Boris Ivanov', gone: false }
const nobody: Person = { id: null, email: null, name: null, gone: false }
const row = (action: string, details: Record<string, unknown> = {}, actor = anna, target = boris): SentenceRow => ({ action, details, actor, target })

// Details as each type records them (src/features/*/events.ts).
const samples: Record<EventType, Record<string, unknown>> = {
  'login.success': { method: 'totp' },
  'login.failed': { reason: 'throttled' },
  'password.reset_requested': {},
  'password.set_from_invite': {},
  'password.reset': {},
  'profile.name_changed': {},
  'password.change_failed': {},
  'password.changed': {},
  'phone.set': { phone: '+79990001122' },
  'phone.code_sent': { purpose: 'phone_verify', phone: '+79990001122' },
  'phone.code_failed': { purpose: 'phone_change', reason: 'expired' },
  'phone.verified': { phone: '+79990001122' },
  'phone.cleared': { phone: '+79990001122' },
  'phone.removed_by_provider': {},
  'session.ended': {},
  'session.ended_others': { count: 3 },
  'confirm.ok': { op: 'users.disable', target: '2' },
  'confirm.failed': { op: 'phone', target: 'self' },
  'totp.enabled': {},
  'totp.disabled': {},
  'totp.reset_by_provider': {},
  'totp.recovery_codes_regenerated': {},
  'totp.recovery_code_used': {},
  'totp.failed': { reason: 'wrong' },
  'totp.locked': { minutes: 15 },
  'totp.refused_locked': {},
  'totp.replay': {},
  'account.created': { by: 'provider' },
  'user.invitation_resent': {},
  'user.created': { invited: true, fullAccess: false, permissions: 'finance.pay users.view', email: 'boris@example.com' },
  'user.updated': { nameChanged: true, phoneChanged: true },
  'user.email_change_requested': { from: 'boris@example.com', to: 'b.ivanov@example.com' },
  'user.email_changed': { to: 'b.ivanov@example.com' },
  'user.address_use_refused': { kind: 'add' },
  'user.disabled': { email: 'boris@example.com' },
  'user.enabled': { by: 'provider' },
  'user.deleted': { userId: '2', email: 'boris@example.com', name: 'Boris Ivanov' },
  'permissions.changed': { enabled: 'finance.pay' },
  'permissions.full_access': { fullAccess: true },
  'login.ip_refused': {},
  'settings.saved': { changed: 'language ip_access ip_allow_list' },
  'session.ended_by_ip_list': {},
  'avatar.changed': {},
  'avatar.removed': {},
  'session.ended_by_binding': { sessionIp: '203.0.113.7' },
  'ip_list.cleared_by_provider': {},
  'policy.accepted': { document: 'privacy-policy', version: 2 },
  'policy.withdrawn': { document: 'sms-news', version: 1 },
  // Privacy: exports
  'personal_data.export_requested': {},
  'personal_data.exported': {},
  'privacy_request.created': { kind: 'deletion' },
  'privacy_request.updated': { kind: 'restriction', status: 'completed', by: 'provider' },
  // Notifications
  'notifications.changed': { changes: 'billing:sms:on news:mail:off' },
  'notifications.unsubscribed': { type: 'billing', channel: 'mail' },
  // Telegram
  'telegram.linked': {},
  'telegram.link_refused': {},
  'telegram.unlinked': {},
  'telegram.stopped': {},
  'telegram.chat_lost': {},
  'telegram.support_enabled': {},
  'telegram.support_disabled': {},
  'sso.link_created': { returnTo: '/client/users' },
  'sso.link_refused': { reason: 'used' },
  'policy.published': { document: 'privacy-policy', version: 3, by: 'provider' },
  'notification.sent': { type: 'billing', channels: 'mail sms', by: 'provider' },
  'external_auth.bound': { service: 'keycloak', identity: 'anna@idp.example' },
  'external_auth.bind_refused': { service: 'keycloak' },
  'external_auth.unbound': { service: 'keycloak' }
}

t.test('every declared event type has a sentence key, and only those', async (t) => {
  t.same(Object.keys(sentences).sort(), [...EVENT_TYPES].sort(), 'the features declare a sentence for every type of the catalog')
  for (const type of EVENT_TYPES) t.equal(sentences[type], `event.${type}`, type)
})

t.test('every event type reads as a sentence in both languages: filled, in words, no codes', async (t) => {
  for (const lang of languages) {
    const ctx = ctxIn(lang)
    const seen = new Set<string>()
    for (const type of EVENT_TYPES) {
      const actor = samples[type].by === 'provider' || type.endsWith('_by_provider') ? nobody : anna
      const text = eventSentence(row(type, samples[type], actor), ctx)
      t.notMatch(text, /\{\w+\}/, `${lang} ${type}: no placeholder left: ${text}`)
      t.notOk(text.includes(type), `${lang} ${type}: not the raw code`)
      t.notMatch(text.replace(/[\w.+-]+@[\w.-]+/g, ''), /\b[a-z]+[._][a-z_]+\b/, `${lang} ${type}: no code-like word (${text})`)
      t.notMatch(text, /\w+: (true|false|\d+)\b|undefined|null|\[object/, `${lang} ${type}: no key: value dump`)
      t.notOk(seen.has(text), `${lang} ${type}: a sentence of its own`)
      seen.add(text)
    }
  }
})

t.test('who did it to whom', async (t) => {
  t.equal(eventSentence(row('user.disabled'), en), 'Anna Petrova (anna@example.com) disabled Boris Ivanov (boris@example.com)')
  t.equal(eventSentence(row('user.disabled', { by: 'provider' }, nobody), en), 'The provider disabled Boris Ivanov (boris@example.com)')
  t.equal(eventSentence(row('user.deleted', { userId: '2', email: 'boris@example.com', name: 'Boris Ivanov' }, anna, nobody), en), 'Anna Petrova (anna@example.com) deleted Boris Ivanov (boris@example.com)')
  t.equal(eventSentence(row('user.deleted', { userId: '2' }, anna, nobody), en), 'Anna Petrova (anna@example.com) deleted a deleted user', 'scrubbed: who it was is gone')
  const gone = { ...boris, gone: true }
  t.equal(eventSentence(row('session.ended', {}, gone), en), 'Boris Ivanov (boris@example.com), since deleted ended a session')
  t.equal(eventSentence(row('session.ended', {}, { id: '9', email: null, name: null, gone: true }), en), 'A deleted user ended a session')
  t.equal(eventSentence(row('session.ended', {}, nobody), en), 'A deleted user ended a session', 'no actor id (a row older than the ids kept): not the provider')
  t.equal(eventSentence(row('user.deleted', { userId: '2', email: 'boris@example.com', name: 'Boris Ivanov' }, nobody, nobody), en), 'The provider deleted Boris Ivanov (boris@example.com)')
  t.equal(eventSentence(row('user.disabled', { email: 'boris@example.com' }, anna, { id: '2', email: null, name: null, gone: true }), en),
    'Anna Petrova (anna@example.com) disabled boris@example.com, since deleted', 'the address the row recorded')
})

t.test('facts in words', async (t) => {
  t.equal(eventSentence(row('login.failed', { reason: 'password' }), en), 'Sign-in of Anna Petrova (anna@example.com) failed (wrong password)')
  t.match(eventSentence(row('login.failed', { reason: 'disabled' }), en), '(user disabled)')
  t.match(eventSentence(row('login.failed', { reason: 'throttled' }), en), '(too many tries)')
  t.match(eventSentence(row('login.failed', { reason: 'something_new' }), en), '(refused)', 'an unknown reason: a word, not its code')
  t.equal(eventSentence(row('login.success', { method: 'password' }), en), 'Anna Petrova (anna@example.com) signed in with a password')
  t.equal(eventSentence(row('login.success', { method: 'sso_totp' }), en), 'Anna Petrova (anna@example.com) signed in with a one-time link from the provider and a one-time password')
  t.match(eventSentence(row('sso.link_refused', { reason: 'expired' }, nobody), en), 'A one-time sign-in link for Boris Ivanov (boris@example.com) was refused (expired)')
  t.equal(eventSentence(row('permissions.changed', { enabled: 'finance.pay', disabled: 'users.view' }), en),
    'Anna Petrova (anna@example.com) changed the permissions of Boris Ivanov (boris@example.com): Finance: Pay enabled, Users: View disabled')
  t.match(eventSentence(row('permissions.changed', { enabled: 'finance.pay' }), ctxIn('ru')), 'Финансы: Оплата — включено', 'labels in the viewer\'s language')
  t.match(eventSentence(row('user.created', { fullAccess: false, permissions: 'users.view', invited: false }), en), 'with Users: View')
  t.match(eventSentence(row('user.created', { fullAccess: true, permissions: '', invited: true }), en), 'with Full access; an invitation was sent')
  t.match(eventSentence(row('phone.set', { phone: '+79990001122' }), en), 'set the phone number +79990001122')
  t.match(eventSentence(row('phone.set', {}), en), 'set the phone number (erased)', 'a scrubbed number')
  t.match(eventSentence(row('phone.code_failed', { purpose: 'phone_verify', reason: 'wrong' }), en), 'could not verify the phone number: wrong code')
  t.match(eventSentence(row('confirm.ok', { op: 'users.disable', target: '2' }), en), 'confirmed an operation: disable the user')
  t.match(eventSentence(row('user.updated', { by: 'provider', nameChanged: true }, nobody), en), 'The provider changed Boris Ivanov (boris@example.com): the full name')
  t.match(eventSentence(row('permissions.full_access', { fullAccess: false }), en), 'took Full access from Boris')
  t.match(eventSentence(row('totp.locked', { minutes: 15 }), en), 'locked for 15 min')
  t.equal(eventSentence(row('user.disabled'), ctxIn('ru')), 'Anna Petrova (anna@example.com): отключён пользователь Boris Ivanov (boris@example.com)')
  t.equal(eventSentence(row('no.such_type'), en), 'Anna Petrova (anna@example.com) did something this version does not describe', 'a type no feature declares')
})

t.test('an external service by the name it is configured with now, by its id once it is gone', async (t) => {
  t.equal(eventSentence(row('external_auth.bound', { service: 'keycloak', identity: 'anna@idp.example' }), en), 'Anna Petrova (anna@example.com) bound their Company SSO account anna@idp.example')
  t.equal(eventSentence(row('external_auth.unbound', { service: 'keycloak' }), en), 'Anna Petrova (anna@example.com) unbound their Company SSO account')
  t.equal(eventSentence(row('external_auth.unbound', { service: 'keycloak', by: 'provider' }, nobody), en), 'The provider unbound the Company SSO account of Boris Ivanov (boris@example.com)')
  t.match(eventSentence(row('external_auth.bind_refused', { service: 'keycloak' }), en), 'could not bind a Company SSO account')
  t.equal(eventSentence(row('login.success', { service: 'keycloak', method: 'totp' }), en), 'Anna Petrova (anna@example.com) signed in with Company SSO and a one-time password')
  t.match(eventSentence(row('login.success', { service: 'keycloak', method: 'external' }), ctxIn('ru')), 'Company SSO')
  t.equal(eventSentence(row('external_auth.unbound', { service: 'gitlab' }), en), 'Anna Petrova (anna@example.com) unbound their gitlab account', 'a service removed from the configuration')
  t.equal(eventSentence(row('login.success', { service: 'gitlab' }), en), 'Anna Petrova (anna@example.com) signed in with gitlab')
})
