// Privacy: the documents part (skeleton, filled in by its own work).
import type { PageSection, PrivacyPart } from '../part.ts'

// eslint-disable-next-line @typescript-eslint/no-empty-object-type -- filled in with the part
export interface DocumentsState {}

export const documentsPart: PrivacyPart = {}

export const documentsSection: PageSection<DocumentsState> = async () => ({})
