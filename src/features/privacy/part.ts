// The privacy feature is made of three parts, each in its own folder:
// documents (policy versions, decisions, the acceptance gate), exports
// (the personal-data CSV) and requests (deletion and restriction). Each
// declares what a feature declares, and its section of the page
// /client/settings/privacy; index.ts joins them into one Feature.
import type { FastifyPluginAsync, FastifyRequest } from 'fastify'
import type { CurrentUser } from '../../lib/current-user.ts'
import type { EventSentences } from '../../lib/events.ts'
import type { Feature } from '../../lib/feature.ts'
import type { MessageKey } from '../../lib/i18n.ts'
import type { QueueDefinitions } from '../../lib/jobs.ts'
import type { EraseStep, ExportSection } from '../../lib/personal-data.ts'
import type { Deps } from '../../types.ts'

export type PrivacyPart = Pick<Feature, 'routes' | 'jobs' | 'operations' | 'guards' | 'events' | 'commands' | 'personalData'>

/**
 * A part's section of /client/settings/privacy: what its partial
 * (views/settings/privacy/<part>.eta) reads as `it.<part>`. `state` is what
 * a refused post of the part gives back (typed values, messages).
 */
export type PageSection<State> = (request: FastifyRequest, user: CurrentUser, state?: State) => Promise<Record<string, unknown>>

/** The parts as one feature's declarations. */
export function joinParts (parts: readonly PrivacyPart[]): PrivacyPart {
  const routes: FastifyPluginAsync = async (app) => {
    for (const part of parts) if (part.routes !== undefined) await app.register(part.routes)
  }
  const jobs = (deps: Deps): QueueDefinitions => Object.assign({}, ...parts.map((p) => p.jobs?.(deps) ?? {})) as QueueDefinitions
  const sections: ExportSection[] = parts.flatMap((p) => p.personalData?.export ?? [])
  const erasers: EraseStep[] = parts.flatMap((p) => p.personalData?.erase === undefined ? [] : [p.personalData.erase])
  return {
    routes,
    jobs,
    operations: Object.assign({}, ...parts.map((p) => p.operations ?? {})) as Record<string, MessageKey>,
    guards: parts.flatMap((p) => p.guards ?? []),
    events: Object.assign({}, ...parts.map((p) => p.events ?? {})) as EventSentences,
    commands: parts.flatMap((p) => p.commands ?? []),
    personalData: {
      export: sections,
      erase: async (trx, subject) => { for (const erase of erasers) await erase(trx, subject) }
    }
  }
}
