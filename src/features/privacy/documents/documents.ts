// The four documents the provider publishes (SPEC §4.2): the two required
// ones gate the panel until their newest effective version is accepted;
// the two optional ones are marketing consents a user may withdraw.
import type { PolicyDocument } from '../../../db/schema.ts'
import type { MessageKey } from '../../../lib/i18n.ts'

export interface DocumentKind {
  key: PolicyDocument
  required: boolean
  /** Its name on the pages. */
  name: MessageKey
}

/** In the order the pages list them. */
export const DOCUMENTS: readonly DocumentKind[] = [
  { key: 'privacy-policy', required: true, name: 'privacy.doc.privacyPolicy' },
  { key: 'user-agreement', required: true, name: 'privacy.doc.userAgreement' },
  { key: 'sms-news', required: false, name: 'privacy.doc.smsNews' },
  { key: 'email-news', required: false, name: 'privacy.doc.emailNews' }
]

export function documentKind (key: unknown): DocumentKind | undefined {
  return DOCUMENTS.find((d) => d.key === key)
}
