// The audit log (SECURITY.md, Logging): who, what, target, IP, time (UTC).
// Callers pass ids and facts only: never a password, code, token or secret.
import type { Kysely } from 'kysely'
import type { DB } from '../db/schema.ts'

export interface AuditEntry {
  accountId: string | null
  actorUserId: string | null
  targetUserId?: string | null
  action: string
  ip: string | null
  details?: Record<string, string | number | boolean | null>
  at: Date
}

// PostgreSQL's jsonb cannot hold U+0000.
function storable (details: AuditEntry['details']): Record<string, string | number | boolean | null> {
  const out: Record<string, string | number | boolean | null> = {}
  for (const [k, v] of Object.entries(details ?? {})) out[k] = typeof v === 'string' ? v.replaceAll('\0', '\uFFFD') : v
  return out
}

export async function writeAudit (db: Kysely<DB>, e: AuditEntry): Promise<void> {
  await db.insertInto('audit_log').values({
    account_id: e.accountId,
    actor_user_id: e.actorUserId,
    target_user_id: e.targetUserId ?? null,
    action: e.action,
    ip: e.ip,
    details: JSON.stringify(storable(e.details)),
    created_at: e.at
  }).execute()
}
