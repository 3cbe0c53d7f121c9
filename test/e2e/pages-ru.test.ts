// Every page in Russian: see test/helpers/page-audit.ts.
import t from 'tap'
import { auditEveryPage } from '../helpers/page-audit.ts'

await auditEveryPage(t, 'ru')
