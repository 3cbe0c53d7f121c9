// Privacy: the exports part (SPEC §4.3, "Export personal data"): after
// re-confirmation, a job mails the user one CSV of everything every feature
// stores about them (Feature.personalData.export), at most once in 24 hours.
import { lazyRoutes } from '../../../lib/feature.ts'
import { formatDateTime } from '../../../lib/format.ts'
import type { PageSection, PrivacyPart } from '../part.ts'
import './events.ts'
import { eraseExports, exportsExport, findExports } from './queries.ts'
import { EXPORT_QUEUE, exportRetry, nextExportAt, sendExport } from './service.ts'

/** A refused request: when the next export is possible. */
export interface ExportsState {
  nextAt?: Date
}

// The page lists this many of the latest exports.
const SHOWN = 5

export const exportsPart: PrivacyPart = {
  routes: lazyRoutes(async () => await import('./routes.ts')),
  jobs: (deps) => ({
    [EXPORT_QUEUE]: {
      work: async (job, info) => {
        // Imported when it runs: the feature list holds this feature (see personalData).
        const { personalData } = await import('../../index.ts')
        await sendExport({ deps, sections: () => personalData().flatMap((p) => p.export ?? []) }, job, info.retryCount)
      },
      retry: exportRetry(deps.config)
    }
  }),
  operations: { 'privacy.export': 'confirm.op.privacyExport' },
  events: {
    'personal_data.export_requested': 'event.personal_data.export_requested',
    'personal_data.exported': 'event.personal_data.exported'
  },
  personalData: { export: [exportsExport], erase: async (trx, subject) => { await eraseExports(trx, subject.id) } }
}

export const exportsSection: PageSection<ExportsState> = async (request, user, state) => {
  const { deps } = request.server
  const when = (d: Date): string => formatDateTime(d, request.lang, user.timeZone)
  const [rows, nextAt] = await Promise.all([
    findExports(deps.db, user.id, SHOWN),
    state?.nextAt === undefined ? nextExportAt(deps, user.id) : Promise.resolve(state.nextAt)
  ])
  return {
    email: user.email,
    next: nextAt === undefined ? null : when(nextAt),
    refused: state?.nextAt !== undefined,
    exports: rows.map((r) => ({ requested: when(r.requested_at), sent: r.sent_at === null ? null : when(r.sent_at), status: r.status }))
  }
}
