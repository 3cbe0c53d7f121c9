// /healthz (liveness) and /readyz (readiness) for load balancers and the container's health check.
import { type Feature, lazyRoutes } from '../../lib/feature.ts'

export const health: Feature = { name: 'health', sessionless: true, routes: lazyRoutes(async () => await import('./routes.ts')) }
