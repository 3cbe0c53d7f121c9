// The provider API (SPEC §6): JSON over HTTP under provider-api/v1 with a
// bearer token, on the same operations as the provider CLI. Its OpenAPI 3
// document is served at provider-api/v1/openapi.json.
import type { Feature } from '../../lib/feature.ts'
import providerApiRoutes from './routes.ts'

export const providerApi: Feature = { name: 'provider-api', sessionless: true, routes: providerApiRoutes }
