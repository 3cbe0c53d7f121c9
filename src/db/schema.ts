import type { ColumnType, Generated, Insertable, Selectable } from 'kysely'

type Timestamp = ColumnType<Date, Date | string, Date | string>
type Id = ColumnType<string, never, never>

export interface AccountsTable {
  id: Generated<string> & Id
  created_at: Generated<Date>
}

export interface UsersTable {
  id: Generated<string> & Id
  account_id: string
  email: string
  full_name: string
  password_hash: string | null
  is_owner: Generated<boolean>
  full_access: Generated<boolean>
  status: Generated<'active' | 'disabled'>
  language: Generated<string>
  time_zone: Generated<string>
  rows_per_page: Generated<number>
  last_login_at: Timestamp | null
  phone: string | null
  phone_verified: Generated<boolean>
  two_factor_enabled: Generated<boolean>
  totp_secret: string | null
  totp_last_step: string | null
  created_at: Generated<Date>
  updated_at: Generated<Date>
  ip_access: Generated<'any' | 'list'>
  ip_allow_list: ColumnType<string[], string[] | undefined, string[]>
  bind_session_ip: Generated<boolean>
  /** A completed restriction not lifted (SPEC §4.3): no marketing, the profile read-only. */
  restricted: Generated<boolean>
  /** Copies of user_permissions, telegram_links and avatars for the user, kept by a trigger (migrations/2026-11-28T01-00-session-user.ts). */
  permissions: Generated<string[]>
  telegram_linked: Generated<boolean>
  avatar_file: string | null
  /** The policy flags as last computed, and from what (migrations/2026-11-28T01-00-session-user.ts; plugins/session.ts). */
  policy_pending: Generated<boolean>
  policy_updated: Generated<boolean>
  policy_epoch: string | null
  policy_until: Timestamp | null
}

/** One row: raised by a trigger on every change to policy_versions or policy_decisions. */
export interface PolicyEpochTable {
  id: Generated<boolean>
  epoch: Generated<string>
}

export interface UserPermissionsTable {
  user_id: string
  permission: string
}

export interface SessionsTable {
  id: string
  user_id: string | null
  data: ColumnType<Record<string, unknown>, string, string>
  ip: string | null
  user_agent: string | null
  created_at: Timestamp
  last_seen_at: Timestamp
  public_id: Generated<string>
  pending_user_id: string | null
  rotate: Generated<boolean>
  ends_at: Timestamp | null
}

export interface VerificationCodesTable {
  user_id: string
  purpose: string
  destination: string
  code_hmac: string
  attempts: Generated<number>
  created_at: Timestamp
  expires_at: Timestamp
  used_at: Timestamp | null
}

export interface CodeSendsTable {
  id: Generated<string> & Id
  user_id: string
  purpose: string
  destination: string
  created_at: Timestamp
}

export interface LoginAttemptsTable {
  id: Generated<string> & Id
  email: string
  user_id: string | null
  ip: string
  user_agent: string | null
  success: boolean
  throttled: Generated<boolean>
  created_at: Timestamp
  /** What proved who the user is: password, totp, recovery, sso, sso_totp, sso_recovery; null on rows from before it was recorded. */
  method: string | null
  /** The external authorization service of the sign-in; null: the password. */
  service: ColumnType<string | null, string | null | undefined, string | null>
}

export interface TokensTable {
  id: string
  user_id: string
  purpose: string
  created_at: Timestamp
  expires_at: Timestamp
  used_at: Timestamp | null
  data: ColumnType<Record<string, string>, string | undefined, string>
}

export interface AuditLogTable {
  id: Generated<string> & Id
  account_id: string | null
  actor_user_id: string | null
  target_user_id: string | null
  action: string
  ip: string | null
  details: ColumnType<Record<string, unknown>, string | undefined, string>
  created_at: Timestamp
  /** Whose personal values details holds, under personal_keys (scrubbed on deletion). */
  personal_of: string | null
  personal_keys: string[] | null
}

export interface RecoveryCodesTable {
  user_id: string
  code_hash: string
  created_at: Timestamp
  used_at: Timestamp | null
}

export interface LimitCountersTable {
  kind: string
  key: string
  window_start: Timestamp
  count: Generated<number>
  failures: Generated<number>
  last_at: Timestamp | null
  locked_until: Timestamp | null
  locks: Generated<number>
  locks_since: Timestamp | null
  updated_at: Timestamp
}

export interface DeliveriesTable {
  id: Generated<string> & Id
  user_id: string | null
  /** 'mail', 'sms' (later 'telegram', 'webhook'). */
  channel: string
  /** The notification type key. */
  type: string
  /** The message, sealed (src/lib/sealed.ts); null once the delivery has ended. */
  payload: string | null
  status: Generated<'queued' | 'sent' | 'failed'>
  attempts: Generated<number>
  last_error: string | null
  last_attempt_at: Timestamp | null
  next_attempt_at: Timestamp
  /** Not sent after this (the link it carries is dead by then). */
  expires_at: Timestamp | null
  created_at: Timestamp
  sent_at: Timestamp | null
}

export type PolicyDocument = 'privacy-policy' | 'user-agreement' | 'sms-news' | 'email-news'

export interface PolicyVersionsTable {
  document: PolicyDocument
  version: number
  required: boolean
  effective_at: Timestamp
  url: string | null
  text_en: string | null
  text_ru: string | null
  changes_en: string | null
  changes_ru: string | null
  published_at: Generated<Date>
}

export interface PolicyDecisionsTable {
  id: Generated<string> & Id
  user_id: string
  document: PolicyDocument
  version: number
  decision: 'accepted' | 'withdrawn'
  decided_at: Timestamp
  ip: string | null
}

export interface DataExportsTable {
  id: Generated<string> & Id
  user_id: string
  requested_at: Timestamp
  sent_at: Timestamp | null
  status: Generated<'queued' | 'sent' | 'failed'>
  last_error: string | null
}

export type PrivacyRequestKind = 'deletion' | 'restriction'
export type PrivacyRequestStatus = 'received' | 'in_progress' | 'completed' | 'rejected' | 'lifted'

export interface PrivacyRequestsTable {
  id: Generated<string> & Id
  account_id: string
  user_id: string
  kind: PrivacyRequestKind
  status: Generated<PrivacyRequestStatus>
  reason: string | null
  created_at: Timestamp
  updated_at: Timestamp
}

export interface PrivacyRequestEventsTable {
  id: Generated<string> & Id
  request_id: string
  status: PrivacyRequestStatus
  reason: string | null
  by: 'user' | 'provider'
  at: Timestamp
}

export type NotificationChannel = 'mail' | 'sms' | 'telegram'

export interface NotificationSettingsTable {
  user_id: string
  type: string
  channel: NotificationChannel
  enabled: boolean
  updated_at: Timestamp
}

export interface TelegramLinksTable {
  user_id: string
  /** Telegram's chat id: a 64-bit integer, read as a string. */
  chat_id: ColumnType<string, string, string>
  username: string | null
  support: Generated<boolean>
  linked_at: Timestamp
}

/** A user's avatar (SPEC §4.7): the re-encoded image itself, one per user. */
export interface AvatarsTable {
  user_id: string
  /** <sha-256 of bytes, hex>.webp: the name it is served under. */
  file: string
  bytes: Buffer
  content_type: string
  created_at: Timestamp
}

/** Each user's last webhook event number (migrations/2026-11-27T03-00-webhooks.ts). */
export interface WebhookSequencesTable {
  user_id: string
  last_seq: string
}

/** The webhook outbox: one row per event a receiver is told of, written with the change. */
export interface WebhookEventsTable {
  id: Generated<string> & Id
  /** The webhook-id header: the same on every try and for every receiver. */
  message_id: string
  user_id: string
  account_id: string | null
  /** The user's event number: receivers get a user's events in this order. */
  seq: string
  type: string
  data: ColumnType<Record<string, unknown>, string, string>
  created_at: Timestamp
  /** When its deliveries were made; null: not yet. */
  relayed_at: Timestamp | null
}

/** One event to one receiver. */
export interface WebhookDeliveriesTable {
  id: Generated<string> & Id
  event_id: string
  receiver: string
  user_id: string
  seq: string
  status: Generated<'queued' | 'sent' | 'failed'>
  attempts: Generated<number>
  last_error: string | null
  last_attempt_at: Timestamp | null
  next_attempt_at: Timestamp
  created_at: Timestamp
  sent_at: Timestamp | null
}

export interface DB {
  recovery_codes: RecoveryCodesTable
  accounts: AccountsTable
  users: UsersTable
  user_permissions: UserPermissionsTable
  policy_epoch: PolicyEpochTable
  sessions: SessionsTable
  login_attempts: LoginAttemptsTable
  tokens: TokensTable
  audit_log: AuditLogTable
  verification_codes: VerificationCodesTable
  code_sends: CodeSendsTable
  limit_counters: LimitCountersTable
  deliveries: DeliveriesTable
  policy_versions: PolicyVersionsTable
  policy_decisions: PolicyDecisionsTable
  data_exports: DataExportsTable
  privacy_requests: PrivacyRequestsTable
  privacy_request_events: PrivacyRequestEventsTable
  notification_settings: NotificationSettingsTable
  telegram_links: TelegramLinksTable
  avatars: AvatarsTable
  webhook_sequences: WebhookSequencesTable
  webhook_events: WebhookEventsTable
  webhook_deliveries: WebhookDeliveriesTable
  external_identities: ExternalIdentitiesTable
}

/** An identity at an external authorization service bound to a user (SPEC §4.4). */
export interface ExternalIdentitiesTable {
  id: Generated<string> & Id
  user_id: string
  /** The service's id in AUTH_PROVIDERS_FILE when it was bound. */
  service: string
  issuer: string
  subject: string
  /** The name or email the service gave, as shown on the page. */
  display: string | null
  bound_at: Timestamp
}

export type User = Selectable<UsersTable>
export type NewAuditEntry = Insertable<AuditLogTable>
