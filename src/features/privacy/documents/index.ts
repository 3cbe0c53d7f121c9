// Privacy: the documents part (SPEC §4.2). The provider publishes versions
// of the Privacy policy and the User agreement (required) and of the SMS
// and Email news consents (optional) with policy:publish; a user decides on
// each from /client/settings/privacy, and the gate (guard.ts) holds a user
// on the acceptance page until the newest effective required versions are
// accepted. marketingConsent() is what marketing notifications ask.
import { lazyRoutes } from '../../../lib/feature.ts'
import type { PageSection, PrivacyPart } from '../part.ts'
import { publishCommand } from './commands.ts'
import './events.ts'
import { policyGuard } from './guard.ts'
import { type DocumentsState, loadSection } from './view.ts'

export type { DocumentsState } from './view.ts'
export { marketingConsent } from './service.ts'
export { publishPolicy, type PublishInput, type PublishResult } from './publish.ts'

export const documentsPart: PrivacyPart = {
  routes: lazyRoutes(async () => await import('./routes.ts')),
  guards: [policyGuard],
  commands: [publishCommand],
  events: {
    'policy.accepted': 'event.policy.accepted',
    'policy.withdrawn': 'event.policy.withdrawn',
    'policy.published': 'event.policy.published'
  },
  personalData: {
    export: [
      {
        name: 'consents',
        query: (db, subject) => db.selectFrom('policy_decisions')
          .select(['document', 'version', 'decision', 'decided_at', 'ip'])
          .distinctOn('document')
          .where('user_id', '=', subject.id)
          .orderBy('document').orderBy('decided_at', 'desc').orderBy('id', 'desc')
      },
      {
        name: 'consent_history',
        query: (db, subject) => db.selectFrom('policy_decisions')
          .select(['document', 'version', 'decision', 'decided_at', 'ip'])
          .where('user_id', '=', subject.id)
          .orderBy('decided_at').orderBy('id')
      }
    ],
    // The decisions stay (what was agreed to, and when); the address they came from goes.
    erase: async (trx, subject) => {
      await trx.updateTable('policy_decisions').set({ ip: null }).where('user_id', '=', subject.id).execute()
    }
  }
}

export const documentsSection: PageSection<DocumentsState> = loadSection
