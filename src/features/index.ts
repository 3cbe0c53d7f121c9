// Every feature of the service, in the order their routes, menu entries and
// settings blocks are added. A new feature is one line here.
import type { Feature } from '../lib/feature.ts'
import { activity } from './activity/index.ts'
import { auth } from './auth/index.ts'
import { health } from './health/index.ts'
import { language } from './language/index.ts'
import { maintenance } from './maintenance/index.ts'
import { phone } from './phone/index.ts'
import { profile } from './profile/index.ts'
import { provider } from './provider/index.ts'
import { sessions } from './sessions/index.ts'
import { settings } from './settings/index.ts'
import { twoFactor } from './two-factor/index.ts'
import { users } from './users/index.ts'

export const features: readonly Feature[] = [health, language, auth, profile, phone, sessions, settings, twoFactor, users, activity, maintenance, provider]
