// The Profile page's view-model: every form on the page, with the values and
// errors of the one that was just posted.
import type { FastifyReply, FastifyRequest } from 'fastify'
import type { CurrentUser } from '../../lib/current-user.ts'
import type { FieldErrors } from '../../lib/forms.ts'
import type { Translate } from '../../lib/i18n.ts'
import { formatDateTime } from '../../lib/format.ts'
import { formatPhone } from '../../lib/phone.ts'
import { hasLiveCode } from '../phone/index.ts'

export interface ProfileState {
  errors?: FieldErrors
  values?: Record<string, string>
}

type ProfileUser = Pick<CurrentUser, 'email' | 'fullName' | 'isOwner' | 'lastLoginAt' | 'timeZone' | 'phone' | 'phoneVerified' | 'twoFactor'>

/** The page's data: plain values only, nothing secret. */
export function profileViewModel (user: ProfileUser, t: Translate, lang: string, state: ProfileState, codeStep: boolean) {
  const errors = state.errors ?? {}
  const values = state.values ?? {}
  return {
    profile: {
      email: user.email,
      fullName: values.full_name ?? user.fullName,
      isOwner: user.isOwner,
      twoFactor: user.twoFactor,
      hasLastLogin: user.lastLoginAt !== null,
      lastLogin: user.lastLoginAt === null ? t('profile.never') : formatDateTime(user.lastLoginAt, lang, user.timeZone)
    },
    phone: {
      value: values.phone ?? (user.phone === null ? '' : formatPhone(user.phone)),
      stored: user.phone !== null,
      verified: user.phoneVerified,
      codeStep,
      codeAction: user.phoneVerified ? 'phone/edit/check' : 'phone/verification/check'
    },
    errors
  }
}

export async function renderProfile (request: FastifyRequest, reply: FastifyReply, user: CurrentUser, state: ProfileState = {}, status = 200): Promise<FastifyReply> {
  const { db, clock } = request.server.deps
  // A code step is shown while a code is live, or when the code just posted was refused.
  const codeStep = user.phone !== null && (state.errors?.code !== undefined || await hasLiveCode(db, user.id, user.phoneVerified ? 'phone_change' : 'phone_verify', user.phone, clock.now()))
  return reply.render('profile/show', profileViewModel(user, request.t, request.lang, state, codeStep), status)
}
