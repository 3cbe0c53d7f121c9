// The provider's commands for personal-data requests (SPEC §6): thin
// adapters over the operations in service.ts. A request is named by
// --id (the CLI takes no positional arguments).
import type { Command, CommandOutcome } from '../../../lib/commands.ts'
import { completeRequest, liftRequest, listRequests, type MoveName, rejectRequest, type RequestDeps, startRequest, STATUSES, type TransitionResult } from './service.ts'

/** What each move needs the request to be, for the message when it is not. */
const allowed: Record<MoveName, string> = {
  start: 'only a received request can be started',
  complete: 'only a received or in-progress request can be completed',
  reject: 'only a received or in-progress request can be rejected',
  lift: 'only a completed restriction can be lifted'
}

function outcome (id: string, move: MoveName, result: TransitionResult): CommandOutcome {
  if (result.ok) return { ok: true, out: { ...result.request } }
  switch (result.reason) {
    case 'not_found': return { ok: false, error: `--id: no request has the id ${id}` }
    case 'wrong_status': return { ok: false, error: `request ${id} is a ${result.kind} request that is ${result.status.replace('_', ' ')}: ${allowed[move]}; nothing was changed` }
    case 'invalid_reason': return { ok: false, error: '--reason: give a reason of 1 to 2000 characters' }
    case 'owner_with_users': return { ok: false, error: `request ${id}: the user is the first user of an account that has other users, who would be left without it; delete those users first or reject the request; nothing was changed` }
  }
}

function moveCommand (name: string, move: MoveName, act: (deps: RequestDeps, id: string) => Promise<TransitionResult>): Command {
  return {
    name,
    usage: '--id REQUEST_ID',
    options: ['id'],
    required: ['id'],
    run: async (deps, values) => { const id = values.id!; return outcome(id, move, await act(deps, id)) }
  }
}

export const requestCommands: readonly Command[] = [
  {
    name: 'requests:list',
    usage: `[--status ${STATUSES.join('|')}]`,
    options: ['status'],
    run: async (deps, values) => {
      const result = await listRequests(deps, values.status)
      if (!result.ok) return { ok: false, error: `--status: use one of ${STATUSES.join(', ')}` }
      return { ok: true, out: { requests: result.requests } }
    }
  },
  moveCommand('request:start', 'start', startRequest),
  moveCommand('request:complete', 'complete', completeRequest),
  {
    name: 'request:reject',
    usage: '--id REQUEST_ID --reason TEXT',
    options: ['id', 'reason'],
    required: ['id', 'reason'],
    run: async (deps, values) => { const id = values.id!; return outcome(id, 'reject', await rejectRequest(deps, id, values.reason!)) }
  },
  moveCommand('request:lift', 'lift', liftRequest)
]
