// Two-factor authentication (TOTP and recovery codes), and the
// re-confirmation of sensitive operations other features use: it asks for
// the One-time password when 2FA is on.
import { type Feature, lazyRoutes } from '../../lib/feature.ts'
import './events.ts'
import { eraseTwoFactor } from './queries.ts'

export { codeField, onSelf, requireConfirmation, type Resolve, validating } from './confirm.ts'
export { resetTwoFactorByProvider } from './service.ts'
export { otpError, verifySecondFactor } from './otp.ts'
export { countLiveRecoveryCodes } from './queries.ts'

export const twoFactor: Feature = {
  name: 'two-factor',
  personalData: { erase: eraseTwoFactor },
  routes: lazyRoutes(async () => await import('./routes.ts')),
  operations: {
    'two-factor.enable': 'confirm.op.twoFactorEnable',
    'two-factor.recovery-codes': 'confirm.op.recoveryCodes'
  },
  settings: [{
    order: 40,
    title: 'twoFactor.title',
    about: 'twoFactor.about',
    path: 'client/settings/two-factor',
    status: (user) => user.twoFactor,
    action: (user) => user.twoFactor ? 'twoFactor.manage' : 'button.enable'
  }],
  events: {
    'confirm.ok': 'event.confirm.ok',
    'confirm.failed': 'event.confirm.failed',
    'totp.enabled': 'event.totp.enabled',
    'totp.disabled': 'event.totp.disabled',
    'totp.reset_by_provider': 'event.totp.reset_by_provider',
    'totp.recovery_codes_regenerated': 'event.totp.recovery_codes_regenerated',
    'totp.recovery_code_used': 'event.totp.recovery_code_used',
    'totp.failed': 'event.totp.failed',
    'totp.locked': 'event.totp.locked',
    'totp.refused_locked': 'event.totp.refused_locked',
    'totp.replay': 'event.totp.replay'
  }
}
