// SSO handoff events (src/lib/events.ts). The sign-in itself is login.success
// with the method 'sso' (or 'sso_totp' / 'sso_recovery' after the second step).
declare module '../../lib/events.ts' {
  interface EventCatalog {
    /** The provider (CLI or API, with the API client's IP) made a one-time sign-in link for the user. */
    'sso.link_created': { details: { returnTo?: string } }
    /** A link of the user's was posted again (used), too late (expired), or with a return path no longer ours: nobody signed in. */
    'sso.link_refused': { details: { reason: 'used' | 'expired' | 'return_to' } }
  }
}
export {}
