// The provider API (SPEC §6): JSON over HTTP under provider-api/v1 with a
// bearer token, on the same operations as the provider CLI. Its OpenAPI 3
// document is served at provider-api/v1/openapi.json.
import { type Feature, lazyRoutes } from '../../lib/feature.ts'

export const providerApi: Feature = { name: 'provider-api', sessionless: true, routes: lazyRoutes(async () => await import('./routes.ts')) }
