// Every feature of the service, in the order their routes, menu entries and
// settings blocks are added. A new feature is one line here.
import type { Feature } from '../lib/feature.ts'
import type { PersonalData } from '../lib/personal-data.ts'
import { activity } from './activity/index.ts'
import { avatar } from './avatar/index.ts'
import { externalAuth } from './external-auth/index.ts'
import { auth } from './auth/index.ts'
import { health } from './health/index.ts'
import { language } from './language/index.ts'
import { maintenance } from './maintenance/index.ts'
import { notifications } from './notifications/index.ts'
import { phone } from './phone/index.ts'
import { privacy } from './privacy/index.ts'
import { profile } from './profile/index.ts'
import { provider } from './provider/index.ts'
import { providerApi } from './provider-api/index.ts'
import { sessions } from './sessions/index.ts'
import { settings } from './settings/index.ts'
import { sso } from './sso/index.ts'
import { telegram } from './telegram/index.ts'
import { twoFactor } from './two-factor/index.ts'
import { users } from './users/index.ts'
import { webhooks } from './webhooks/index.ts'

export const features: readonly Feature[] = [health, language, auth, profile, phone, sessions, settings, privacy, twoFactor, notifications, telegram, avatar, users, activity, maintenance, provider, sso, webhooks, providerApi, externalAuth]

/**
 * Every feature's personal data (the export, the deletion). The privacy
 * feature is itself in the list, so it imports this module dynamically
 * (`await import('../../index.ts')`) where it works: a static import would
 * make the list's evaluation depend on which module a process loads first.
 */
export function personalData (): readonly PersonalData[] {
  return features.flatMap((f) => f.personalData === undefined ? [] : [f.personalData])
}
