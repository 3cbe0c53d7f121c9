// What the documents part's views read: the section of
// /client/settings/privacy (documents.eta), the acceptance page
// (documents-accept.eta) and one document's page (documents-document.eta).
import type { FastifyRequest } from 'fastify'
import type { CurrentUser } from '../../../lib/current-user.ts'
import { formatDateTime } from '../../../lib/format.ts'
import type { MessageKey } from '../../../lib/i18n.ts'
import { documentKind, DOCUMENTS } from './documents.ts'
import { currentDecisions, decisionHistory, effectiveVersions, type PolicyVersion } from './queries.ts'

/** What a refused decision gives back to the page. */
export interface DocumentsState { error: MessageKey }

/** A text as paragraphs of lines: shown escaped, never as markup. */
export function paragraphs (text: string | null): string[][] {
  if (text === null) return []
  return text.replace(/\r\n?/g, '\n').split(/\n[ \t]*\n/)
    .map((p) => p.split('\n').map((line) => line.trimEnd()).filter((line) => line !== ''))
    .filter((p) => p.length > 0)
}

/** One version as the pages show it, in the reader's language. */
export function shownVersion (request: FastifyRequest, user: CurrentUser, v: PolicyVersion) {
  const ru = request.lang === 'ru'
  return {
    key: v.document,
    name: documentKind(v.document)!.name,
    required: v.required,
    version: v.version,
    effective: formatDateTime(v.effective_at, request.lang, user.timeZone),
    url: v.url,
    text: paragraphs(ru ? v.text_ru : v.text_en),
    changes: paragraphs(ru ? v.changes_ru : v.changes_en)
  }
}

const DECISION_WORD: Record<'accepted' | 'withdrawn', MessageKey> = { accepted: 'privacy.decision.accepted', withdrawn: 'privacy.decision.withdrawn' }

export async function loadSection (request: FastifyRequest, user: CurrentUser, state?: DocumentsState): Promise<Record<string, unknown>> {
  const { db, clock } = request.server.deps
  const limit = user.rowsPerPage
  const [versions, mine, history] = await Promise.all([
    effectiveVersions(db, clock.now()),
    currentDecisions(db, user.id),
    decisionHistory(db, user.id, limit + 1)
  ])
  const at = (d: Date): string => formatDateTime(d, request.lang, user.timeZone)
  const rows = DOCUMENTS.flatMap((d) => {
    const v = versions.get(d.key)
    if (v === undefined) return []
    const decided = mine.get(d.key)
    const acceptedNewest = decided?.decision === 'accepted' && decided.version === v.version
    return [{
      ...shownVersion(request, user, v),
      hasText: v.url === null,
      decision: decided === undefined ? 'privacy.decision.none' : DECISION_WORD[decided.decision],
      decidedVersion: decided?.version,
      decidedAt: decided === undefined ? undefined : at(decided.decidedAt),
      canAccept: !acceptedNewest,
      canWithdraw: !d.required && decided?.decision === 'accepted'
    }]
  })
  return {
    rows,
    history: history.slice(0, limit).map((h) => ({
      name: documentKind(h.document)!.name,
      version: h.version,
      decision: DECISION_WORD[h.decision],
      at: at(h.decided_at),
      ip: h.ip
    })),
    more: history.length > limit,
    limit,
    error: state?.error
  }
}
