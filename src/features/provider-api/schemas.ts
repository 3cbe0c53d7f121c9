// The provider API's request and response schemas (SPEC §6), in TypeBox:
// JSON Schema that validates requests (plugin.ts compiles it), serialises
// answers and makes the OpenAPI document. Bodies refuse unknown fields, so a
// misspelt field is a 400 rather than a change silently not made.
import { type Static, Type } from 'typebox'

const Id = Type.String({ description: 'An id as the API gives it (digits).' })

export const ErrorBody = Type.Object({
  error: Type.Object({
    code: Type.String({ description: 'Stable, for programs: invalid_request, invalid_json, unauthorized, not_found, email_taken, wrong_status…' }),
    message: Type.String({ description: 'For people, in English.' })
  })
})

export const User = Type.Object({
  id: Id,
  accountId: Id,
  email: Type.String(),
  name: Type.String(),
  phone: Type.Union([Type.String({ description: 'E.164' }), Type.Null()]),
  phoneVerified: Type.Boolean(),
  status: Type.Union([Type.Literal('active'), Type.Literal('disabled')]),
  owner: Type.Boolean({ description: 'The account\'s first user.' }),
  twoFactor: Type.Boolean(),
  lastLoginAt: Type.Union([Type.String({ description: 'ISO 8601, UTC' }), Type.Null()])
})

export const PrivacyRequest = Type.Object({
  id: Id,
  kind: Type.Union([Type.Literal('deletion'), Type.Literal('restriction')]),
  status: Type.Union([Type.Literal('received'), Type.Literal('in_progress'), Type.Literal('completed'), Type.Literal('rejected'), Type.Literal('lifted')]),
  userId: Id,
  accountId: Id,
  email: Type.String(),
  createdAt: Type.String(),
  updatedAt: Type.String(),
  reason: Type.Union([Type.String(), Type.Null()])
})

export const Paging = {
  limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 100, default: 50, description: 'Items per page.' })),
  cursor: Type.Optional(Type.String({ maxLength: 100, description: 'The `next` of the previous page.' }))
}
const Next = Type.Union([Type.String(), Type.Null()], { description: 'The cursor of the next page; null on the last.' })

export const UserParams = Type.Object({ id: Type.String({ maxLength: 40 }) })

export const UsersQuery = Type.Object({ email: Type.Optional(Type.String({ maxLength: 320 })), ...Paging }, { additionalProperties: false })
export const UsersPage = Type.Object({ users: Type.Array(User), next: Next })

export const CreateAccountBody = Type.Object({
  email: Type.String({ maxLength: 320 }),
  name: Type.String({ maxLength: 1000 }),
  password: Type.Optional(Type.String({ maxLength: 4096, description: 'Without it the answer carries inviteUrl, a link to set it.' }))
}, { additionalProperties: false })
export const AccountCreated = Type.Object({ accountId: Id, userId: Id, inviteUrl: Type.Optional(Type.String()) })

export const UpdateUserBody = Type.Object({
  email: Type.Optional(Type.String({ maxLength: 320 })),
  name: Type.Optional(Type.String({ maxLength: 1000 })),
  status: Type.Optional(Type.Union([Type.Literal('active'), Type.Literal('disabled')]))
}, { additionalProperties: false })

export const Deleted = Type.Object({ userId: Id, deleted: Type.Literal(true) })
export const PhoneRemoved = Type.Object({ userId: Id, phone: Type.Null() })
export const TwoFactorReset = Type.Object({ userId: Id, twoFactor: Type.Literal(false) })
export const IpListCleared = Type.Object({ userId: Id, ipAccess: Type.Literal('any'), ipAllowList: Type.Array(Type.String(), { maxItems: 0 }) })
export const Permissions = Type.Object({
  fullAccess: Type.Boolean({ description: 'The first user and Full access users: every permission.' }),
  permissions: Type.Array(Type.String(), { description: 'section.action keys of the catalog, sorted.' })
})

export const RequestsQuery = Type.Object({ status: Type.Optional(PrivacyRequest.properties.status), ...Paging }, { additionalProperties: false })
export const RequestsPage = Type.Object({ requests: Type.Array(PrivacyRequest), next: Next })
export const RequestParams = UserParams
export const RejectBody = Type.Object({ reason: Type.String({ maxLength: 4000 }) }, { additionalProperties: false })

const Languages = Type.Object({ en: Type.String({ maxLength: 200_000 }), ru: Type.String({ maxLength: 200_000 }) }, { additionalProperties: false })
export const PublishBody = Type.Object({
  document: Type.String({ maxLength: 100, description: 'privacy-policy, user-agreement, sms-news or email-news' }),
  version: Type.Integer({ minimum: 1, description: 'Higher than every version of the document published before.' }),
  effectiveAt: Type.String({ maxLength: 40, description: 'ISO 8601 with its zone: 2026-12-01T00:00:00Z' }),
  url: Type.Optional(Type.String({ maxLength: 4000 })),
  text: Type.Optional(Languages),
  changes: Type.Optional(Languages)
}, { additionalProperties: false })
export const Published = Type.Object({ document: Type.String(), version: Type.Integer(), effectiveAt: Type.String(), required: Type.Boolean() })

export const NotificationBody = Type.Object({
  userId: Type.String({ maxLength: 40 }),
  type: Type.String({ maxLength: 100 }),
  subject: Type.String({ maxLength: 1000 }),
  text: Type.String({ maxLength: 100_000 })
}, { additionalProperties: false })
export const NotificationSent = Type.Object({ userId: Id, type: Type.String(), channels: Type.Array(Type.String()) })

export const SsoBody = Type.Object({
  userId: Type.String({ maxLength: 40 }),
  returnTo: Type.Optional(Type.String({ maxLength: 2000 }))
}, { additionalProperties: false })
export const SsoLink = Type.Object({ url: Type.String(), expiresAt: Type.String() })

export type UsersQueryT = Static<typeof UsersQuery>
