// Privacy: the requests part (skeleton, filled in by its own work).
import type { PageSection, PrivacyPart } from '../part.ts'

// eslint-disable-next-line @typescript-eslint/no-empty-object-type -- filled in with the part
export interface RequestsState {}

export const requestsPart: PrivacyPart = {}

export const requestsSection: PageSection<RequestsState> = async () => ({})
