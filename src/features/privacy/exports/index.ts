// Privacy: the exports part (skeleton, filled in by its own work).
import type { PageSection, PrivacyPart } from '../part.ts'

// eslint-disable-next-line @typescript-eslint/no-empty-object-type -- filled in with the part
export interface ExportsState {}

export const exportsPart: PrivacyPart = {}

export const exportsSection: PageSection<ExportsState> = async () => ({})
