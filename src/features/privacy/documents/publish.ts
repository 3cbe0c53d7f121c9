// Publishing a version of a document (SPEC §4.2, §6): a provider operation
// with a typed result, so that the CLI (policy:publish) and the provider API
// (POST /policies) are thin adapters over it. Guarantees:
// - versions of a document only grow: a version not higher than the highest
//   published is refused, and two publishes racing for the same (or a lower)
//   number make one row: the check and the insert hold a per-document lock,
//   and the primary key refuses what would slip past it;
// - a version has either a URL (http or https) or a text in each language;
// - effective_at is an exact instant (a zone or Z is required): a version is
//   invisible before it.
import { sql } from 'kysely'
import type { PolicyDocument } from '../../../db/schema.ts'
import { recordEvent } from '../../../lib/events.ts'
import type { Deps } from '../../../types.ts'
import type { ProviderCaller } from '../../provider/index.ts'
import { documentKind } from './documents.ts'

/** The longest text or note kept: a policy, not a book. */
export const TEXT_MAX = 200_000
const NOTE_MAX = 5_000
const URL_MAX = 2_000

export interface PublishInput {
  document: string
  version: string | number
  effectiveAt: string
  url?: string
  textEn?: string
  textRu?: string
  changesEn?: string
  changesRu?: string
}

export type PublishFailure =
  | { ok: false, reason: 'unknown_document' }
  | { ok: false, reason: 'invalid_version' }
  | { ok: false, reason: 'version_not_higher', highest: number }
  | { ok: false, reason: 'invalid_date' }
  | { ok: false, reason: 'no_content' }
  | { ok: false, reason: 'url_and_text' }
  | { ok: false, reason: 'invalid_url' }
  | { ok: false, reason: 'invalid_text', language: 'en' | 'ru' }
  | { ok: false, reason: 'invalid_changes', language: 'en' | 'ru' }

export type PublishResult = { ok: true, document: PolicyDocument, version: number, effectiveAt: Date, required: boolean } | PublishFailure

const ISO_INSTANT = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2})(?::(\d{2})(?:\.\d{1,3})?)?(?:Z|[+-](\d{2}):(\d{2}))$/

/** An ISO 8601 date and time with its zone, every part in range (no 30 February); undefined otherwise. */
export function parseInstant (value: string): Date | undefined {
  const m = ISO_INSTANT.exec(value)
  if (m === null) return undefined
  const [, y, mo, d, h, mi, s = '0', oh = '0', om = '0'] = m
  const day = new Date(Date.UTC(Number(y), Number(mo) - 1, Number(d)))
  if (day.getUTCMonth() !== Number(mo) - 1 || day.getUTCDate() !== Number(d)) return undefined
  if (Number(h) > 23 || Number(mi) > 59 || Number(s) > 59 || Number(oh) > 23 || Number(om) > 59) return undefined
  const at = new Date(value)
  return Number.isNaN(at.getTime()) ? undefined : at
}

function httpUrl (value: string): boolean {
  if (value.length > URL_MAX || /\s/.test(value)) return false
  try {
    const url = new URL(value)
    return (url.protocol === 'https:' || url.protocol === 'http:') && url.hostname !== ''
  } catch {
    return false
  }
}

// No control characters but line breaks and tabs: the text is shown as paragraphs.
// eslint-disable-next-line no-control-regex
const CONTROL = /[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f]/
const usableText = (text: string, max: number): boolean => text.trim() !== '' && text.length <= max && !CONTROL.test(text)

export async function publishPolicy (deps: Pick<Deps, 'db' | 'clock'>, input: PublishInput, caller: ProviderCaller = { ip: null }): Promise<PublishResult> {
  const kind = documentKind(input.document)
  if (kind === undefined) return { ok: false, reason: 'unknown_document' }
  const versionText = String(input.version)
  if (!/^[1-9]\d{0,8}$/.test(versionText)) return { ok: false, reason: 'invalid_version' }
  const version = Number(versionText)
  const effectiveAt = parseInstant(input.effectiveAt)
  if (effectiveAt === undefined) return { ok: false, reason: 'invalid_date' }
  const hasText = input.textEn !== undefined || input.textRu !== undefined
  if (input.url !== undefined && hasText) return { ok: false, reason: 'url_and_text' }
  if (input.url === undefined && !hasText) return { ok: false, reason: 'no_content' }
  if (input.url !== undefined && !httpUrl(input.url)) return { ok: false, reason: 'invalid_url' }
  if (hasText) {
    if (input.textEn === undefined || !usableText(input.textEn, TEXT_MAX)) return { ok: false, reason: 'invalid_text', language: 'en' }
    if (input.textRu === undefined || !usableText(input.textRu, TEXT_MAX)) return { ok: false, reason: 'invalid_text', language: 'ru' }
  }
  // What changed is told in both languages or not at all: a Russian reader gets it too.
  const changes = input.changesEn !== undefined || input.changesRu !== undefined
  if (changes) {
    if (input.changesEn === undefined || !usableText(input.changesEn, NOTE_MAX)) return { ok: false, reason: 'invalid_changes', language: 'en' }
    if (input.changesRu === undefined || !usableText(input.changesRu, NOTE_MAX)) return { ok: false, reason: 'invalid_changes', language: 'ru' }
  }
  try {
    return await deps.db.transaction().execute(async (trx): Promise<PublishResult> => {
      await sql`select pg_advisory_xact_lock(hashtextextended(${`policy_versions:${kind.key}`}, 0))`.execute(trx)
      const top = await trx.selectFrom('policy_versions').select((eb) => eb.fn.max('version').as('highest'))
        .where('document', '=', kind.key).executeTakeFirst()
      const highest = top?.highest ?? 0
      if (version <= highest) return { ok: false, reason: 'version_not_higher', highest }
      await trx.insertInto('policy_versions').values({
        document: kind.key,
        version,
        required: kind.required,
        effective_at: effectiveAt,
        url: input.url ?? null,
        text_en: hasText ? input.textEn! : null,
        text_ru: hasText ? input.textRu! : null,
        changes_en: changes ? input.changesEn! : null,
        changes_ru: changes ? input.changesRu! : null,
        published_at: deps.clock.now()
      }).execute()
      await recordEvent(trx, { accountId: null, actorUserId: null, type: 'policy.published', details: { document: kind.key, version, by: 'provider' }, ip: caller.ip, at: deps.clock.now() })
      return { ok: true, document: kind.key, version, effectiveAt, required: kind.required }
    })
  } catch (err) {
    // Only reachable past the lock by a writer that does not take it: the key still holds.
    if ((err as { code?: string }).code === '23505') return { ok: false, reason: 'version_not_higher', highest: version }
    throw err
  }
}
