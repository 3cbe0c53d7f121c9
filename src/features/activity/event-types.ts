// Every event type the features declare (src/features/*/events.ts), as a
// list the activity tests walk: `satisfies` makes a type added to the
// catalog without a line here (or a line without its type) a type error.
import type { EventType } from '../../lib/events.ts'
import type { MessageKey } from '../../lib/i18n.ts'

const declared = {
  'login.success': true,
  'login.failed': true,
  'password.reset_requested': true,
  'password.set_from_invite': true,
  'password.reset': true,
  'profile.name_changed': true,
  'password.change_failed': true,
  'password.changed': true,
  'phone.set': true,
  'phone.code_sent': true,
  'phone.code_failed': true,
  'phone.verified': true,
  'phone.cleared': true,
  'phone.removed_by_provider': true,
  'session.ended': true,
  'session.ended_others': true,
  'confirm.ok': true,
  'confirm.failed': true,
  'totp.enabled': true,
  'totp.disabled': true,
  'totp.reset_by_provider': true,
  'totp.recovery_codes_regenerated': true,
  'totp.recovery_code_used': true,
  'totp.failed': true,
  'totp.locked': true,
  'totp.refused_locked': true,
  'totp.replay': true,
  'account.created': true,
  'user.created': true,
  'user.invitation_resent': true,
  'user.updated': true,
  'user.email_change_requested': true,
  'user.email_changed': true,
  'user.address_use_refused': true,
  'user.disabled': true,
  'user.enabled': true,
  'user.deleted': true,
  'permissions.changed': true,
  'permissions.full_access': true,
  'login.ip_refused': true,
  'settings.saved': true,
  'avatar.changed': true,
  'avatar.removed': true,
  'session.ended_by_ip_list': true,
  'session.ended_by_binding': true,
  'ip_list.cleared_by_provider': true,
  'policy.accepted': true,
  'policy.withdrawn': true,
  // Privacy: exports
  'personal_data.export_requested': true,
  'personal_data.exported': true,
  'privacy_request.created': true,
  'privacy_request.updated': true,
  // Notifications
  'notifications.changed': true,
  'notifications.unsubscribed': true,
  'telegram.linked': true,
  'telegram.link_refused': true,
  'telegram.unlinked': true,
  'telegram.stopped': true,
  'telegram.chat_lost': true,
  'telegram.support_enabled': true,
  'telegram.support_disabled': true,
  // SSO handoff
  'sso.link_created': true,
  'sso.link_refused': true,
  // Provider operations without a feature page of their own
  'policy.published': true,
  'notification.sent': true,
  // External authorization services
  'external_auth.bound': true,
  'external_auth.bind_refused': true,
  'external_auth.unbound': true
} as const satisfies Record<EventType, true>

export const EVENT_TYPES = Object.keys(declared) as EventType[]

// Every event type has its sentence in the catalogs (ru.ts holds every key
// of en.ts): a type without one fails to compile here.
type Missing = Exclude<`event.${EventType}`, MessageKey>
export const everyTypeHasASentence: [Missing] extends [never] ? true : Missing = true
