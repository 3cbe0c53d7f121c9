// /healthz (liveness) and /readyz (readiness) for load balancers and the container's health check.
import type { Feature } from '../../lib/feature.ts'
import healthRoutes from './routes.ts'

export const health: Feature = { name: 'health', sessionless: true, routes: healthRoutes }
