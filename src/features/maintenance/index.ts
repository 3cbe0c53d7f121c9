// Housekeeping: one job every ten minutes, in one process across all instances.
import type { Feature } from '../../lib/feature.ts'
import { cleanUp } from './service.ts'

declare module '../../lib/jobs.ts' {
  interface QueueMap { maintenance: Record<string, never> }
}

export const maintenance: Feature = {
  name: 'maintenance',
  jobs: (deps) => ({ maintenance: { work: async () => { await cleanUp(deps) }, cron: '*/10 * * * *' } })
}
